// SPDX-License-Identifier: MIT
// owner.hpp - which of several targets (an executable and its libraries) a translation
// unit was linked into: one module patches them all, one graft_object each.
#pragma once

#include "module.hpp"

#include <vector>

namespace graft::patchgen {

// The target whose symbol table holds the most of the unit's original functions (same
// name, same place by the old_sympos rule, same size). Refuses when none holds any (a
// unit of a library not given: its change would be lost), or
// two hold as many (a unit linked into both: patch them with one --target at a time).
// A unit the fix adds goes with the target defining most of the symbols it uses.
const Target &owner_of(const TuInput &tu, const std::vector<Target> &targets);

} // namespace graft::patchgen
