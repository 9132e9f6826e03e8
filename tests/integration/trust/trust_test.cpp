// SPDX-License-Identifier: MIT
// trust_test.cpp - signatures and policy on a real process (docs/security.md): each
// refusal names its reason and leaves the process without a new mapping; minisign -V
// agrees with graft on whether each signature is valid; a file signed by minisign -S
// loads; a process that never loads a patch maps no crypto library.
#include <gtest/gtest.h>

#include <fstream>

#include "trust_fixture.hpp"

namespace graft::test {
namespace {

class Trust : public TrustDir {
protected:
	// Loads file into a fresh target and expects a refusal naming reason; the target
	// must map no new file, and minisign -V (with the trusted key) must find the
	// signature valid exactly when crypto_valid.
	void expect_refused(const std::string &file, const std::string &reason, bool crypto_valid)
	{
		Target t(trust_out() + "/trust_prog");
		ASSERT_EQ(t.read_line(), "ready");
		ASSERT_TRUE(t.wait_ready());
		std::set<std::string> before = mapped_files(t.pid());
		CmdResult r = run_graft({"load", std::to_string(t.pid()), file});
		EXPECT_EQ(r.status, 1) << r.out << r.err;
		EXPECT_NE(r.err.find("refused (" + reason + ")"), std::string::npos) << r.err;
		EXPECT_EQ(mapped_files(t.pid()), before) << "a refused patch maps nothing";
		EXPECT_EQ(t.ask("call"), "call: old");
		EXPECT_EQ(minisign_valid(file, keys + "/graft.pub"), crypto_valid);
	}
	void expect_loaded(const std::string &file)
	{
		Target t(trust_out() + "/trust_prog");
		ASSERT_EQ(t.read_line(), "ready");
		ASSERT_TRUE(t.wait_ready());
		CmdResult r = run_graft({"load", std::to_string(t.pid()), file});
		EXPECT_EQ(r.status, 0) << r.out << r.err;
		EXPECT_EQ(t.ask("call"), "call: fixed");
		EXPECT_FALSE(maps_crypto(t.pid())) << "libsodium is unmapped after verifying";
		EXPECT_EQ(t.finish(), 0) << "the process exits cleanly after libsodium left";
	}
};

TEST_F(Trust, SignedLoads)
{
	write_policy("require_signature = yes\n");
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix).status, 0);
	expect_loaded(fix);
	EXPECT_TRUE(minisign_valid(fix, keys + "/graft.pub"));
}

TEST_F(Trust, UnsignedRefusedWhenRequired)
{
	write_policy("require_signature = yes\n");
	std::string fix = patch_copy("fix");
	expect_refused(fix, "unsigned", false);
	Target t(trust_out() + "/trust_prog");
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	CmdResult r = run_graft({"load", std::to_string(t.pid()), fix});
	EXPECT_NE(r.err.find("no signature '" + fix + ".minisig'"), std::string::npos) << r.err;
}

TEST_F(Trust, UnsignedLoadsForRootByDefault)
{
	std::string fix = patch_copy("fix"); // no policy file: the defaults
	expect_loaded(fix);
}

TEST_F(Trust, FlippedByteRefused)
{
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix).status, 0);
	std::fstream f(fix, std::ios::in | std::ios::out | std::ios::binary);
	f.seekg(100);
	char c = char(f.get());
	f.seekp(100);
	f.put(char(c ^ 1));
	f.close();
	expect_refused(fix, "bad signature", false);
}

TEST_F(Trust, UnknownKeyRefused)
{
	ASSERT_EQ(run({"minisign", "-G", "-W", "-p", dir + "/other.pub", "-s", dir + "/other.key"})
			  .status,
		  0);
	std::string fix = patch_copy("fix");
	CmdResult s = run_graft({"sign", "-s", dir + "/other.key", fix});
	ASSERT_EQ(s.status, 0) << s.err;
	expect_refused(fix, "unknown key", false);
	EXPECT_TRUE(minisign_valid(fix, dir + "/other.pub")) << "valid for its own key";
}

TEST_F(Trust, RevokedKeyRefused)
{
	std::string pub;
	std::ifstream(keys + "/graft.pub") >> pub >> pub >> pub >> pub >> pub >> pub; // key id
	write_policy("revoked_keys = " + pub + "\n");
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix).status, 0);
	expect_refused(fix, "revoked", true);
}

TEST_F(Trust, RevokedHashRefused)
{
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix).status, 0);
	CmdResult sha = run({"sha256sum", fix});
	write_policy("revoked_hashes = " + sha.out.substr(0, 64) + "\n");
	expect_refused(fix, "revoked", true);
}

TEST_F(Trust, ExpiredRefused)
{
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix, {"--expires", "2020-01-31"}).status, 0);
	expect_refused(fix, "expired", true);
}

TEST_F(Trust, BuildIdNotCoveredRefused)
{
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix, {"--build-id", TRUST_ID_OTHER}).status, 0);
	expect_refused(fix, "wrong build-id", true);
}

TEST_F(Trust, MinisignSignedLoads)
{
	write_policy("require_signature = yes\n");
	ASSERT_EQ(run({"minisign", "-G", "-W", "-p", keys + "/ops.pub", "-s", dir + "/ops.key"})
			  .status,
		  0);
	std::string fix = patch_copy("fix");
	CmdResult s = run({"minisign", "-S", "-s", dir + "/ops.key", "-m", fix, "-t",
			   "name=fix build-ids=" TRUST_ID " not-after=2099-12-31"});
	ASSERT_EQ(s.status, 0) << s.err;
	expect_loaded(fix);
	EXPECT_TRUE(minisign_valid(fix, keys + "/ops.pub"));
}

TEST_F(Trust, GraftKeyWorksWithMinisign)
{
	// minisign signs with a secret key graft keygen made; graft verifies it.
	write_policy("require_signature = yes\n");
	std::string fix = patch_copy("fix");
	CmdResult s = run({"minisign", "-S", "-s", dir + "/graft.key", "-m", fix, "-t",
			   "name=fix build-ids=" TRUST_ID});
	ASSERT_EQ(s.status, 0) << s.err;
	expect_loaded(fix);
}

TEST_F(Trust, NeverLoadingMapsNoCrypto)
{
	Target t(trust_out() + "/trust_prog");
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	EXPECT_EQ(run_graft({"list", std::to_string(t.pid())}).status, 0);
	EXPECT_EQ(t.ask("call"), "call: old");
	std::set<std::string> files = mapped_files(t.pid());
	EXPECT_FALSE(maps_crypto(t.pid()));
	bool has_runtime = false;
	for (const std::string &f : files)
		has_runtime |= f.find("libgraft.so") != std::string::npos;
	EXPECT_TRUE(has_runtime) << "the check must look at a process that has the runtime";
}

TEST_F(Trust, ReadOnlyUserRefused)
{
	write_policy("read_only_users = root\n");
	std::string fix = patch_copy("fix");
	expect_refused(fix, "policy", false);
}

} // namespace
} // namespace graft::test
