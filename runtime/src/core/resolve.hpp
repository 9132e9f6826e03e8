// SPDX-License-Identifier: MIT
// resolve.hpp - binding a patch's objects to what is loaded: symbol lookup for every
// func and sym, and the arch layer's verdict on every function (prepared, not written).
#pragma once

#include <string>

#include "core/patch.hpp"
#include "symbols/symbols.hpp"

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
// written and *why names the object, the symbol and the reason. Objects already
// resolved are kept as they are.
bool resolve_loaded_objects(Patch &patch, std::string *why);

// Resolves one object against the library where it is now loaded (a library that is
// loading): functions, sites and symbol cells. Nothing is bound on failure.
bool resolve_object(Object &obj, const symbols::Object &where, std::string *why);

// Forgets where obj was loaded (its library is going): addresses, sites and cells.
void free_object_loaded(Object &obj);

} // namespace graft::core
