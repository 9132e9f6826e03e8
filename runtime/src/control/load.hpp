// SPDX-License-Identifier: MIT
// load.hpp - a `load` request made safe: the patch file is taken from the descriptor
// the client sent (or opened here for a client that sent none), checked, verified
// against the policy and its signature (trust/), and mapped from that same descriptor
// (/proc/self/fd/N), so nothing can swap the file between the check and the dlopen.
// Every outcome is recorded in the audit trail. The patch store's loads, which the
// runtime makes by itself (store/autoload.cpp), take the same path with the system
// store's policy.
#pragma once

#include <string>

#include <sys/types.h>

#include "control/dispatch.hpp"
#include "core/api.hpp"

namespace graft::control {

struct LoadAsked {
	std::string path; // as the client named it
	bool enable = true;
	bool has_signature = false;
	std::string signature; // the .minisig text the client sent
};

struct LoadDone {
	core::Result result;
	std::string sha256, key;
};

LoadDone load_checked(const LoadAsked &asked, const Client &client, uid_t euid);

// What maps a verified module: core::patch_load, or the store's prepare for a library
// about to be dlopen'ed (core::store_patch_prepare).
using Loader = core::Result (*)(const core::LoadRequest &);

// A load from the patch store, made by the runtime itself (at start, or for a library
// being dlopen'ed): the file is opened here and held to the policy as the system store
// (require_signature = auto requires a signature), verified and mapped from that one
// descriptor by load, and audited as "autoload" with the process as the client.
LoadDone load_from_store(const std::string &path, bool enable, Loader load);

// Why this client may not change anything here ("" if it may): the policy cannot be
// read, or lists the client among the read-only users.
std::string write_refusal(const Client &client, uid_t euid);

// One audit record of a request's outcome.
void audit(const char *action, const core::Result &r, const Client &client,
	   const std::string &patch, const std::string &sha256 = "", const std::string &key = "");

} // namespace graft::control
