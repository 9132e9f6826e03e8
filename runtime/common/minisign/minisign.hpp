// SPDX-License-Identifier: MIT
// minisign.hpp - minisign's key and signature formats (jedisct1/minisign, src/minisign.h)
// and graft's use of its trusted comment. A signature file is four lines:
//   untrusted comment: <text>
//   base64("ED" || keynum[8] || Ed25519(BLAKE2b-512(file)))      prehashed, the default
//   trusted comment: <text>
//   base64(Ed25519(signature[64] || text))                        the global signature
// A public key is base64("Ed" || keynum[8] || pk[32]) after its comment line; an
// unencrypted secret key (minisign -G -W) is base64("Ed" || kdf "\0\0" || "B2" ||
// salt[32] || opslimit[8] || memlimit[8] || keynum[8] || sk[64] || chk[32]).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "minisign/sodium.hpp"

namespace graft::trust {

using KeyNum = std::array<unsigned char, 8>;
using Hash512 = std::array<unsigned char, 64>;
using Hash256 = std::array<unsigned char, 32>;

struct PublicKey {
	KeyNum keynum{};
	std::array<unsigned char, 32> pk{};
};

struct SecretKey {
	KeyNum keynum{};
	std::array<unsigned char, 64> sk{};
};

struct Signature {
	bool prehashed = true; // "ED"; "Ed" (the legacy form) signs the file itself
	KeyNum keynum{};
	std::array<unsigned char, 64> sig{};
	std::string trusted_comment;
	std::array<unsigned char, 64> global_sig{};
};

// minisign's key id: the key number as a little-endian integer, 16 uppercase hex digits.
std::string key_id(const KeyNum &k);

std::string base64_encode(const unsigned char *data, size_t len);
// Strict standard base64 with padding; false on anything else.
bool base64_decode(const std::string &text, std::vector<unsigned char> *out);

// Parsers: false with *why naming what is wrong with the text.
bool parse_public_key(const std::string &text, PublicKey *out, std::string *why);
bool parse_secret_key(const std::string &text, SecretKey *out, std::string *why);
bool parse_signature(const std::string &text, Signature *out, std::string *why);

std::string format_public_key(const PublicKey &k);
std::string format_secret_key(const SecretKey &k);

// Streams the file behind fd from offset 0 (pread: the descriptor's position is left
// alone) into BLAKE2b-512 and SHA-256. False with *why when it cannot be read.
bool hash_fd(const Sodium &s, int fd, Hash512 *blake2b, Hash256 *sha256, std::string *why);

// Both signatures checked: the file's (against its hash, or its bytes for "Ed") and the
// global one over the trusted comment. Only the first needs the file.
bool signature_valid(const Sodium &s, const Signature &sig, const PublicKey &key,
		     const Hash512 &blake2b);

// Signs a file whose BLAKE2b-512 is given, prehashed, with the trusted comment; the
// four-line text of the .minisig file.
std::string sign_prehashed(const Sodium &s, const SecretKey &key, const Hash512 &blake2b,
			   const std::string &trusted_comment);

std::string hex(const unsigned char *data, size_t len);

// graft's trusted comment: space-separated key=value pairs, e.g.
//   name=fix build-ids=3f2a...,9bc0... not-after=2027-01-31
// name: the patch; build-ids: the objects it may patch; not-after: the last valid day
// (UTC), or a Unix time in seconds. Unknown keys are kept for people, ignored by graft.
struct TrustedComment {
	std::string name;
	std::vector<std::string> build_ids;
	bool has_not_after = false;
	int64_t not_after = 0; // Unix time after which the signature is refused
};
bool parse_trusted_comment(const std::string &text, TrustedComment *out, std::string *why);
std::string format_trusted_comment(const TrustedComment &c);

} // namespace graft::trust
