// SPDX-License-Identifier: MIT
// line_fix.hpp - klp-build's fix-patch-lines: after each group of changed lines in a
// C/C++ hunk, insert "#line N" so the code after the change keeps its original line
// numbers, and __LINE__ (assert, logging) does not make unchanged code look changed.
#pragma once

#include <string>

namespace graft::patchgen {

// Returns the unified diff with the #line lines added and hunk headers recounted.
std::string fix_patch_lines(const std::string &patch);

} // namespace graft::patchgen
