// SPDX-License-Identifier: MIT
// optout.hpp - the processes graft stays out of (system-wide.md, "Opt-outs"): those the
// administrator excludes in graft.conf, and, built in, PID 1 of a pid namespace and the
// graft tools themselves. The runtime stays inert in them (trust/optout.cpp); the CLI's
// --all commands report them as excluded and never touch them. One rule for both sides,
// decided from the same facts.
//
//   exclude_exe = GLOB     a glob with a '/' matches the executable's whole path, one
//                          without matches its file name (fnmatch(3), '*' crosses '/')
//   exclude_uid = N        processes whose effective uid is N (a number: no user name
//                          lookup runs in a starting process)
//   exclude_unit = NAME    processes in the control group of systemd unit NAME or below
//                          it (NAME without a suffix is NAME.service)
// One value per line; repeat a setting for more.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace graft::conf {

struct OptOuts {
	std::string path; // the file they came from, for messages
	std::vector<std::string> exe_globs;
	std::vector<uid_t> uids;
	std::vector<std::string> units; // full unit names: "nginx" is kept as "nginx.service"
};

// What the rules look at, read from the process (the runtime: itself; the CLI: /proc).
struct ProcessFacts {
	pid_t nspid = 0; // its pid in its own pid namespace
	uid_t euid = 0;
	std::string exe;     // the executable's path, without " (deleted)" ("" unknown)
	std::string execfn;  // the path execve was given (AT_EXECFN): a script's own path
	std::string cgroup;  // the text of /proc/PID/cgroup ("" unknown)
	bool secure = false; // AT_SECURE: started setuid, setgid or with file capabilities
};

// Whether key is one of the exclude_* settings.
bool is_optout_key(const std::string &key);

// One exclude_* setting into out; false with *problem when the value is not valid.
bool add_optout(const std::string &key, const std::string &value, OptOuts *out,
		std::string *problem);

// The exclude_* settings of a graft.conf text (every other setting is left to
// trust/policy.cpp); false with *why (file, line) when one of them is malformed.
bool parse_optouts(const std::string &text, const std::string &path, OptOuts *out,
		   std::string *why);

// "nginx" -> "nginx.service"; a name with a suffix (x.scope, x.slice) is kept: the rule
// of exclude_unit and of the CLI's --unit.
std::string unit_name(const std::string &unit);

// Why graft stays out of this process ("" when it does not): built in (PID 1 of its
// namespace, secure execution, a graft tool), else the first rule of rules that matches.
std::string excluded_why(const ProcessFacts &p, const OptOuts &rules);

} // namespace graft::conf
