// SPDX-License-Identifier: MIT
// policy.hpp - /etc/graft/graft.conf, the process's trust policy (security.md):
//   require_signature = yes | no | auto     auto (the default): required for a client
//                                           that is not root and for the system store
//   keys_dir = /etc/graft/keys.d            trusted minisign public keys (*.pub)
//   revoked_keys = 98C04C8AFB125DCB, ...    key ids (minisign's, 16 hex digits)
//   revoked_hashes = <sha256 hex>, ...      patch files refused whoever signed them
//   read_only_users = alice, 1001           may only list, status, log, info, history
//   exclude_exe, exclude_uid, exclude_unit  processes graft stays out of (conf/optout.hpp)
// Read at every request that needs it, so an edit takes effect without a restart.
// GRAFT_POLICY (secure_getenv: ignored in setuid programs) names another file, for
// per-user setups and tests, else GRAFT_CONFIG_DIR replaces /etc/graft; keys_dir
// defaults to keys.d next to the file.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <sys/types.h>

#include "conf/optout.hpp"

namespace graft::trust {

enum class Require { automatic, yes, no };

struct Policy {
	std::string path; // the file it came from ("" when it does not exist)
	Require require = Require::automatic;
	std::string keys_dir;
	std::set<std::string> revoked_keys;   // uppercase key ids
	std::set<std::string> revoked_hashes; // lowercase SHA-256 hex
	std::set<uid_t> read_only_uids;
	conf::OptOuts optouts; // checked here so that a malformed one refuses like the rest
};

constexpr const char *kDefaultPolicyPath = "/etc/graft/graft.conf";

// The policy file this process uses: $GRAFT_POLICY, else $GRAFT_CONFIG_DIR/graft.conf,
// else /etc/graft/graft.conf.
std::string policy_path();

// Reads the policy at path; a missing file is the defaults. False with *why (naming the
// file and line) when it is unreadable, unsafe (not owned by root or euid, writable by
// group or others) or malformed: the caller then refuses, it never guesses.
bool policy_load(const std::string &path, uid_t euid, Policy *out, std::string *why);

// Parses the text of a policy file (path is for messages and the default keys_dir).
bool policy_parse(const std::string &text, const std::string &path, Policy *out, std::string *why);

// Whether a load by a client of this uid must carry a valid signature.
bool signature_required(const Policy &p, uid_t client_uid, bool system_store);

// Whether the client may only read (list, status, log, info, history).
bool read_only(const Policy &p, uid_t client_uid);

} // namespace graft::trust
