// SPDX-License-Identifier: MIT
// store_patches.hpp - patches the runtime takes from the patch store by itself (see
// store/autoload.cpp): loaded for a library about to be dlopen'ed, then settled once the
// dlopen returned. Each takes patch_mutex itself.
#pragma once

#include <string>

#include "core/api.hpp"

namespace graft::core {

// Whether a patch of the name the module at path gives is loaded (the store's loads
// skip it before verifying anything).
bool store_patch_known(const std::string &path);

// Loads the module req names without enabling it (req.enable is ignored), marked
// store_pending: a library of its object's name is being loaded. Nothing happens if a
// patch of that name is loaded.
Result store_patch_prepare(const LoadRequest &req);

// After the dlopen: each pending patch is enabled if one of its objects is now loaded
// with the build-id it names (with a transition: the library's constructors have run),
// else unloaded. Failures are logged.
void store_patches_settle();

} // namespace graft::core
