// SPDX-License-Identifier: MIT
// settings.hpp - graft.conf as text: "key = value" lines, '#' to the end of a line is a
// comment. Shared by the runtime's trust policy (trust/policy.cpp), its opt-out check
// at start (trust/optout.cpp) and the CLI (which reports excluded processes), so the
// file has one syntax and one location rule for all of them.
#pragma once

#include <functional>
#include <string>

namespace graft::conf {

constexpr const char *kPolicyFile = "graft.conf";

// The policy file: $GRAFT_POLICY, else $GRAFT_CONFIG_DIR/graft.conf, else
// /etc/graft/graft.conf (GRAFT_CONFIG_DIR replaces /etc/graft for the kill switch too).
// The arguments are those variables' values (nullptr when unset).
std::string policy_path_from(const char *policy_env, const char *config_dir_env);

// s without leading and trailing blanks.
std::string trim(const std::string &s);

// Calls apply(key, value, &problem) for every setting of text, in order. False at the
// first line that is not "key = value" or that apply refuses, with *why naming the file
// (path), the line and the problem.
using ApplySetting =
	std::function<bool(const std::string &key, const std::string &value, std::string *problem)>;
bool parse_settings(const std::string &text, const std::string &path, const ApplySetting &apply,
		    std::string *why);

} // namespace graft::conf
