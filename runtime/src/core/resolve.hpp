// SPDX-License-Identifier: MIT
// resolve.hpp - binding a patch's objects to what is loaded: symbol lookup for every
// func and sym, and the arch layer's verdict on every function (prepared, not written).
#pragma once

#include <string>

#include "core/patch.hpp"

namespace graft::core {

// Builds patch->objects from the module's descriptor and checks it is well formed
// (names, replacements, no function twice). Nothing is resolved yet.
bool build_objects(Patch &patch, std::string *why);

// Finds the size of every replacement function in the patch module (the consistency
// model checks stacks against it). A size the module's symbols do not give is taken
// conservatively: up to the end of the module's code segment.
void size_replacements(Patch &patch);

// Resolves every object of patch that is loaded now (symbols, sizes, sites) and fills
// the module's graft_sym cells. All or nothing for the patch: on failure no cell is
// written and *why names the object, the symbol and the reason.
bool resolve_loaded_objects(Patch &patch, std::string *why);

} // namespace graft::core
