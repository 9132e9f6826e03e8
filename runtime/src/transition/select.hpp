// SPDX-License-Identifier: MIT
// select.hpp - where a call to a function in transition goes (the kernel's
// klp_ftrace_handler): the new version for a thread that has switched to the patched
// state, the previous one (the next patch down, or the original) for the others.
#pragma once

#include <cstdint>

#include "arch/x86_64/fast_path.hpp"

namespace graft::arch {
struct Site;
}

namespace graft::transition {

// Installs the select hook into the arch layer (idempotent).
void select_init();

// Publishes the two targets of a function in transition (seqlock-bracketed: a new
// generation, so call it only before any thread has switched in this transition) and
// makes the site's cookie point at them. Control side, patch_mutex held.
void set_selection(arch::Site *site, uintptr_t patched, uintptr_t unpatched, int initial,
		   int target);

struct CheckSet;

// A context switch: the next try to switch at a function's entry is the incoming
// context's own (a held context's tries are skipped for a while, not its successors'):
// the thread's verdict, whose hold slot was on the other stack, is dropped. Inline: it
// is on every tracked switch.
inline void select_context_switched()
{
	arch::fast_forget();
}

// Publishes the check set of the running transition's current round, for threads that
// try to switch themselves when they enter a function in transition (nullptr: none).
// Waits until no thread still uses the previous set, then frees it. Control side.
void publish_checks(CheckSet *set);

} // namespace graft::transition
