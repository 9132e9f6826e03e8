// SPDX-License-Identifier: MIT
// transition.hpp - the transition of a patch (the kernel's transition.c): the steps the
// lifecycle calls in the kernel's order, with the kernel's log lines. Threads switch one
// by one as none of the affected functions is on their stack; a background thread
// retries with backoff until every thread has switched, then completes.
// Every function here is called with patch_mutex held.
#pragma once

#include <atomic>

#include "core/api.hpp"
#include "core/patch.hpp"

namespace graft::core {

enum class TransitionDir { patching, unpatching };

// The patch in transition, or nullptr (at most one at a time).
Patch *transition_patch();

// "initializing %s transition": a new generation, every thread in the initial state;
// the patch's funcs are marked in transition.
void init_transition(Patch &patch, TransitionDir dir);
// "starting %s transition": the patch's functions go through the selection path.
void start_transition(Patch &patch);
// One attempt to switch every thread; completes the transition when all have
// switched, else leaves it to the background thread. True when complete.
bool try_complete_transition(Patch &patch);
// A failed enable before start: "canceling patching transition, going to unpatch".
void cancel_transition(Patch &patch);
// Disable of the patch in transition: "reversing transition from %s".
void reverse_transition(Patch &patch);
// A library of the patch in transition was patched as it loaded, or reverted as it
// unloaded: the code threads are checked against changes from the next round on.
void transition_objects_changed();
// `graft force`: every thread to the target at once.
Result force_transition();
TransitionView transition_view();

// At exit: stops every patch operation for good (takes patch_mutex and keeps it), so
// no thread of graft touches the runtime's objects while they are destroyed.
void transition_quiesce_at_exit();
// Set by transition_quiesce_at_exit: the process is exiting.
extern std::atomic<bool> exiting;

// In a fork child: the background thread did not survive; it is started again by the
// next transition_worker_prepare.
void transition_after_fork_child();

// Starts the background thread if it is not running. Never called under patch_mutex,
// nor on a thread that may hold a loader lock: pthread_create takes the loader's TLS
// lock. Called by patch_load/enable/disable and force_transition before they take
// patch_mutex, and by a fork child after its locks are released. Not under patch_mutex,
// unlike the rest of this file.
void transition_worker_prepare();

// The consistency model's test-only switch (GRAFT_TEST_CONSISTENCY=off): every thread
// switches at once, as if each transition were forced silently.
void set_consistency_model(bool on);

} // namespace graft::core
