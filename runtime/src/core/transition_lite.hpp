// SPDX-License-Identifier: MIT
// transition_lite.hpp - the transition steps of the kernel's transition.c with the
// kernel's log lines, switching every thread at once (the slot store). The per-thread
// consistency model (issue 3) replaces the switching inside these steps; the core
// calls them in the kernel's order already.
#pragma once

#include "core/patch.hpp"

namespace graft::core {

enum class TransitionDir { patching, unpatching };

// The patch in transition, or nullptr (at most one at a time).
Patch *transition_patch();

// "initializing %s transition"
void init_transition(Patch &patch, TransitionDir dir);
// "starting %s transition"
void start_transition(Patch &patch);
// Completes at once: "completing %s transition", unpatch (when unpatching),
// post_patch / post_unpatch callbacks, "%s complete".
void try_complete_transition(Patch &patch);
// A failed enable: "canceling patching transition, going to unpatch", unpatch the
// objects patched so far, post_unpatch for those whose pre_patch succeeded.
void cancel_transition(Patch &patch);

} // namespace graft::core
