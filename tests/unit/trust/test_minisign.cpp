// SPDX-License-Identifier: MIT
// test_minisign.cpp - minisign's formats (a key and signature made by minisign 0.11),
// base64, the trusted comment and the build-id rule.
#include <gtest/gtest.h>

#include "minisign/minisign.hpp"
#include "trust/verify.hpp"

namespace graft::trust {
namespace {

// Made by `minisign -G -W` and `minisign -S -t "name=x build-ids=ab"` over "hello\n".
const char *kPub = "untrusted comment: minisign public key 98C04C8AFB125DCB\n"
		   "RWTLXRL7ikzAmKvsjMQPSqM1pN4fJw8BpROyiUYZar1K0GCQG0p4r+ji\n";
const char *kSig = "untrusted comment: signature from minisign secret key\n"
		   "RUTLXRL7ikzAmNHnXWNOA6Bg7/pkS3Cip7xR7WOeFfAekCvbaVoE6SFe6kS1LIMuKghXdL/"
		   "2KBMVJo4lB+lbSFmZqr8TTn4lzAQ=\n"
		   "trusted comment: name=x build-ids=ab\n"
		   "lnlKpjkwVLWbe3OshW5rbOsOKroom0jBcaFh9sZVFt1XpkiNLJ2qYlZiDzeh54XpUVd2ZYfjD5uiCm4"
		   "ae/x+AQ==\n";

TEST(Minisign, Base64RoundTrip)
{
	for (std::string s : {"", "a", "ab", "abc", "abcd", "hello world"}) {
		std::string enc =
			base64_encode(reinterpret_cast<const unsigned char *>(s.data()), s.size());
		std::vector<unsigned char> dec;
		ASSERT_TRUE(base64_decode(enc, &dec)) << enc;
		EXPECT_EQ(std::string(dec.begin(), dec.end()), s);
	}
	std::vector<unsigned char> dec;
	EXPECT_FALSE(base64_decode("abc", &dec));
	EXPECT_FALSE(base64_decode("a=bc", &dec));
	EXPECT_FALSE(base64_decode("ab!c", &dec));
}

TEST(Minisign, VerifiesMinisignsOwnSignature)
{
	PublicKey pk;
	Signature sig;
	std::string why;
	ASSERT_TRUE(parse_public_key(kPub, &pk, &why)) << why;
	EXPECT_EQ(key_id(pk.keynum), "98C04C8AFB125DCB");
	ASSERT_TRUE(parse_signature(kSig, &sig, &why)) << why;
	EXPECT_TRUE(sig.prehashed);
	EXPECT_EQ(sig.trusted_comment, "name=x build-ids=ab");
	SodiumScope s;
	ASSERT_TRUE(s.open(&why)) << why;
	char path[] = "/tmp/graft-msg-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_EQ(write(fd, "hello\n", 6), 6);
	Hash512 b2{};
	Hash256 sha{};
	ASSERT_TRUE(hash_fd(s.get(), fd, &b2, &sha, &why));
	EXPECT_EQ(hex(sha.data(), sha.size()),
		  "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	EXPECT_TRUE(signature_valid(s.get(), sig, pk, b2));
	Signature altered = sig;
	altered.trusted_comment = "name=x build-ids=cd";
	EXPECT_FALSE(signature_valid(s.get(), altered, pk, b2)) << "the comment is signed";
	ASSERT_EQ(pwrite(fd, "j", 1, 0), 1);
	ASSERT_TRUE(hash_fd(s.get(), fd, &b2, &sha, &why));
	EXPECT_FALSE(signature_valid(s.get(), sig, pk, b2));
	close(fd);
	unlink(path);
}

TEST(Minisign, MalformedInputIsNamed)
{
	PublicKey pk;
	Signature sig;
	std::string why;
	EXPECT_FALSE(parse_public_key("RWT...\n", &pk, &why));
	EXPECT_EQ(why, "not a minisign public key (no 'untrusted comment:' line)");
	EXPECT_FALSE(parse_signature("untrusted comment: x\nAAAA\n", &sig, &why));
	EXPECT_EQ(why, "malformed signature file (expected minisign's four lines)");
}

TEST(Minisign, TrustedComment)
{
	TrustedComment c;
	std::string why;
	ASSERT_TRUE(parse_trusted_comment(
		"timestamp:1 name=fix build-ids=ab,cd not-after=2027-01-31", &c, &why));
	EXPECT_EQ(c.name, "fix");
	EXPECT_EQ(c.build_ids, (std::vector<std::string>{"ab", "cd"}));
	EXPECT_TRUE(c.has_not_after);
	EXPECT_EQ(c.not_after, 1801439999); // 2027-01-31 23:59:59 UTC
	EXPECT_FALSE(parse_trusted_comment("build-ids=XY", &c, &why));
	EXPECT_FALSE(parse_trusted_comment("not-after=tomorrow", &c, &why));
	TrustedComment back;
	ASSERT_TRUE(parse_trusted_comment(format_trusted_comment(c), &back, &why));
}

TEST(Minisign, BuildIdRule)
{
	TrustedComment c;
	c.build_ids = {"ab", "cd"};
	EXPECT_EQ(build_id_refusal(c, {{"liba.so", "ab"}, {"", "cd"}}), "");
	EXPECT_EQ(build_id_refusal(c, {{"liba.so", "ef"}}),
		  "refused (wrong build-id): the patch is for build-id ef of 'liba.so', which its "
		  "signature does not list (it lists ab,cd)");
	EXPECT_NE(build_id_refusal(c, {{"liba.so", ""}}).find("names no build-id"),
		  std::string::npos);
}

} // namespace
} // namespace graft::trust
