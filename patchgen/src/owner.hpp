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

// One object per source: libtool compiles each source of a library twice (-fPIC for
// the shared library, without for the static one), and a fix changes both. Of the
// objects of one source file with the same functions, one whose original functions
// have at least another's share of each target's code (byte for byte outside the
// relocations; more somewhere, or the same and it comes first) leaves the other out
// (said with -v). Objects that each have a different target's code all stay. Without
// this, both went into the module: its link failed on the function defined twice.
std::vector<TuInput> one_object_per_source(const std::vector<TuInput> &tus,
					   const std::vector<Target> &targets);

} // namespace graft::patchgen
