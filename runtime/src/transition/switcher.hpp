// SPDX-License-Identifier: MIT
// switcher.hpp - one round of switching threads (the kernel's klp_try_switch_task for
// every task): threads blocked in a system call are checked from outside with the
// "being switched" handshake and never get a signal; threads running in user space get
// graft's signal and check their own stack in the handler.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "transition/stack_check.hpp"
#include "transition/thread_state.hpp"

namespace graft::transition {

struct Hold {
	pid_t tid = 0;
	std::string name;   // /proc comm
	std::string reason; // "sleeping in f", "running in f", "has f on its stack", ...
};

// Holds of suspended contexts have tid 0 and name "fiber N".
struct RoundResult {
	int total = 0; // live threads of the program (graft's own excluded)
	int switched = 0;
	int fibers_total = 0; // suspended contexts checked
	int fibers_switched = 0;
	bool quiet = true;	    // no switch moved a state between contexts during the round
	int signalled_sleepers = 0; // blocked threads signalled (signal_sleepers)
	std::vector<Hold> holds;
	bool complete() const
	{
		return switched == total && fibers_switched == fibers_total && quiet;
	}
};

// Tries to switch every suspended context (context.hpp) and every thread not yet in
// p.target. set must describe the code the
// threads are leaving. With signals false, running threads are only counted. With
// signal_sleepers, blocked threads that the outside scan finds holding are signalled
// too, to check themselves with the unwinder (the conservative scan can be fooled by
// a stale return address); they may then see EINTR, as the kernel's fake signals do.
RoundResult try_switch_all(const CheckSet &set, const Published &p, bool signals,
			   bool signal_sleepers);

} // namespace graft::transition
