// SPDX-License-Identifier: MIT
// sources.hpp - where the object pairs come from: a source tree + fix + build command
// (built twice through graft-cc, like kpatch-build), two build trees, or two objects.
#pragma once

#include "module.hpp"

#include <string>
#include <vector>

namespace graft::patchgen {

struct SourceMode {
	std::string src;
	std::vector<std::string> patches; // a series of fixes, applied in order: one module
	std::string build;
	std::vector<std::string> targets;
	std::string tool_dir; // where graft-cc lives
	std::string workdir;
	bool graft_ready = true; // set from the target: false builds in a scratch copy
};

// Builds the original, checks the target is that build, applies the fix (with #line
// fixing), rebuilds, restores the tree; returns the pairs of changed objects, and of
// the units the fix adds (each with an empty original).
std::vector<TuInput> objects_from_source(const SourceMode &m, const std::vector<Target> &targets);

// Pairs graft-cc objects of two trees by their relative paths; only those that differ,
// and those only the patched tree has (new units). work: for the new units' empty pairs.
std::vector<TuInput> objects_from_trees(const std::string &orig, const std::string &patched,
					const std::string &work);

// One pair of objects; their OBJ.graft.s / OBJ.graft.cmd are used when present.
TuInput objects_from_files(const std::string &orig, const std::string &patched);

} // namespace graft::patchgen
