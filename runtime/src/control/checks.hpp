// SPDX-License-Identifier: MIT
// checks.hpp - the control server's security decisions as pure functions: who may talk
// to the process, which patch files it may load, and whether the socket directory is safe.
#pragma once

#include <string>

#include <sys/types.h>

#include "core/api.hpp"

namespace graft::control {

// A peer may control the process if it runs as the process's effective user or as root.
bool peer_allowed(uid_t peer_uid, uid_t process_euid);

// The refusal sent to a peer that peer_allowed() rejects.
std::string peer_refusal(uid_t peer_uid, uid_t process_euid);

// A patch file must be named by an absolute path and be a regular file owned by root or
// by the process's effective user, not writable by group or others: whoever can write
// it can run code in the process. The error names the file and the fix.
core::Result check_patch_file(const std::string &path, uid_t process_euid);

// Makes sure dir exists as a directory (not a symlink) owned by euid with no access for
// group or others, creating it with mode 0700 if missing (its parent must exist).
// Returns false with the reason in *why otherwise: an attacker's directory could hold
// a socket that impersonates the process.
bool ensure_runtime_dir(const std::string &dir, uid_t euid, std::string *why);

} // namespace graft::control
