// SPDX-License-Identifier: MIT
// config.hpp - the runtime's settings, read once from a whitelist of GRAFT_* environment
// variables in the constructor (before any thread of ours exists; ignored entirely in
// secure-execution processes).
#pragma once

#include <string>
#include <vector>

namespace graft::config {

struct Config {
	std::string log;		  // GRAFT_LOG: "stderr" or a file to mirror the log to
	std::vector<std::string> patches; // GRAFT_PATCHES: ':'-separated modules to load at start
	int signal = 0;		  // GRAFT_SIGNAL: the thread signal's number (0: SIGRTMIN+7)
	bool consistency = true;  // GRAFT_TEST_CONSISTENCY=off: tests only (see transition.hpp)
	bool fibers = true;	  // GRAFT_TEST_FIBERS=off: tests only (transition/context.hpp)
	bool fiber_fence = true;  // GRAFT_TEST_FIBER_FENCE=off: tests only, the CAS path
	std::string entry_switch; // GRAFT_TEST_ENTRY_SWITCH=any|never: tests only
				  // (transition/entry_call.hpp); "" is the default rule
	// GRAFT_CONTROL=at-start: the control socket and thread from the start (what
	// `graft run` asks for). Default, on-demand: neither until the first command, whose
	// `graft` starts them with ptrace (docs/architecture.md, "Control on demand").
	bool control_at_start = false;
	std::string control_bad; // GRAFT_CONTROL's value when it is neither: logged
};

// Reads the whitelist into the returned Config, and removes GRAFT_PATCHES from the
// environment so a program this one execs starts clean.
Config read_env();

} // namespace graft::config
