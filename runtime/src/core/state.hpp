// SPDX-License-Identifier: MIT
// state.hpp - system states (the kernel's klp_state, kernel/livepatch/state.c): which
// modifications of the program a patch makes or takes over, and at which version.
// Called with patch_mutex held.
#pragma once

#include <string>

#include "core/patch.hpp"

namespace graft::core {

// The state id of patch (NULL when it has none, or is an ABI version 1 module).
graft_state *find_state(const Patch &patch, unsigned long id);

// The kernel's klp_is_patch_compatible: every state of every installed patch must be
// in patch at an equal or higher version; a patch that is not a replace patch may lack
// a state. False with *why naming the state and the patch that installed it.
bool is_patch_compatible(const Patch &patch, std::string *why);

} // namespace graft::core
