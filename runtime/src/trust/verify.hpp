// SPDX-License-Identifier: MIT
// verify.hpp - whether a patch file may be loaded: the checks on the descriptor the
// module will be mapped from (regular file, owner, mode), the policy's revocations, and
// its minisign signature (security.md). libsodium is mapped only while this runs.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "minisign/minisign.hpp"
#include "trust/policy.hpp"

namespace graft::trust {

// The reasons a load is refused, as they appear in messages: "refused (<reason>): ...".
namespace reason {
constexpr const char *unsigned_ = "unsigned";
constexpr const char *bad_signature = "bad signature";
constexpr const char *unknown_key = "unknown key";
constexpr const char *revoked = "revoked";
constexpr const char *expired = "expired";
constexpr const char *wrong_build_id = "wrong build-id";
constexpr const char *policy = "policy";
} // namespace reason

struct Candidate {
	int fd = -1;		    // the patch file, as it will be mapped
	std::string path;	    // as the client named it (messages, the .minisig)
	bool has_signature = false; // signature holds the .minisig's text
	std::string signature;
	uid_t client_uid = 0;
	uid_t euid = 0; // the process's
	bool system_store = false;
};

struct Verdict {
	bool ok = false;
	std::string reason; // one of reason::*, when refused
	std::string error;  // the whole message
	std::string sha256; // of the file, when it could be read
	std::string key;    // the signing key's id, when signed
	bool is_signed = false;
	TrustedComment comment;
};

// Runs every check before the module is opened. time_now: Unix seconds (for expiry).
Verdict verify_candidate(const Policy &policy, const Candidate &c, int64_t time_now);

// After the module is opened: every object it declares must carry a build-id the signed
// comment lists. "" when they do, else the refusal.
std::string build_id_refusal(const TrustedComment &comment,
			     const std::vector<std::pair<std::string, std::string>> &objects);

} // namespace graft::trust
