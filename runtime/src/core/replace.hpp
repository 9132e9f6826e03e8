// SPDX-License-Identifier: MIT
// replace.hpp - atomic replace (the kernel's klp_add_nops, klp_unpatch_replaced_patches,
// klp_discard_nops): a cumulative patch replaces every enabled patch in one transition.
// Called with patch_mutex held.
#pragma once

#include "core/patch.hpp"

namespace graft::core {

// Before a replace patch's transition starts: a nop func for every function an enabled
// patch patches and this one does not, in an object of the same name (made if the patch
// has none). A nop sends switched threads to the original code; unswitched ones go on
// with the version below it. Nops are appended after the patch's own funcs.
void add_nops(Patch &patch);

// The patching transition of a replace patch completed: every other enabled patch leaves
// the function stacks without callbacks and is marked replaced (handing_over until the
// replace patch's post_patch callbacks ran).
void unpatch_replaced_patches(Patch &patch);

// The nops leave the function stacks (a function only they still redirect gets its
// original bytes back) and the patch forgets them and the objects made for them.
void discard_nops(Patch &patch);

} // namespace graft::core
