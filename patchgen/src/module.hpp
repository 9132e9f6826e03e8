// SPDX-License-Identifier: MIT
// module.hpp - from pairs of original/patched objects to a patch module: per translation
// unit diff, plan and rewrite (tu_plan.cpp), then the descriptor, the link and the checks
// against the deployed target (module.cpp).
#pragma once

#include "hooks.hpp"
#include "target.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace graft::patchgen {

// One translation unit, as graft-cc recorded it in both builds.
struct TuInput {
	std::string name; // for messages: the object's path relative to the tree
	std::string orig_o, patched_o;
	std::string orig_s, patched_s; // the assembly graft-cc kept ("" in two-object mode
				       // when absent: then refused)
	std::string compiler;	       // the driver that compiled it (gcc, clang++, ...)
	std::string lang;	       // "c", "c++", "asm" or "lto"
	bool added = false;	       // a source file the fix adds: orig_o is an empty object
};

struct FuncEntry {
	std::string old_name, label; // target name; the new body's label in the module
	unsigned long sympos = 0;
	uint64_t value = 0;
};

struct SymEntry {
	std::string name, cell; // target name; the module's cell the runtime fills
	unsigned long sympos = 0;
	uint64_t value = 0;
};

struct TuPlan {
	std::string graft_s; // the rewritten assembly
	std::string compiler, lang;
	std::vector<FuncEntry> funcs;
	std::vector<SymEntry> syms;
	std::vector<std::string> changed, added; // for the report
	std::vector<Hook> hooks; // GRAFT_*_CALLBACK and GRAFT_SHADOW_TYPE of the fix
};

// Diffs, plans and rewrites one translation unit; id makes generated labels unique.
// funcs is empty and graft_s empty when the unit has no functional change.
TuPlan plan_tu(const TuInput &tu, const Target &target, const std::string &id);

// What the module holds for one target: one graft_object.
struct ObjectPlan {
	const Target *target = nullptr;
	std::vector<FuncEntry> funcs;
	std::vector<SymEntry> syms;
	std::set<std::string> seen_funcs;
	std::map<std::string, std::string> callbacks; // pre_patch ... -> label
	std::vector<std::string> shadow_types;	      // labels
};

// The units assembled for the link, with the driver that links them.
struct Linked {
	std::vector<std::string> objects;
	std::string linker;
	std::set<std::string> seen_cells;
};

struct ModuleResult {
	bool empty = true; // no functional change anywhere: no module written
	std::vector<std::string> report;
};

// Builds the module at output from every unit (workdir holds the intermediate files),
// one graft_object per target a unit belongs to. replace: a cumulative module
// (graft_patch.replace).
ModuleResult build_module(const std::vector<TuInput> &tus, const std::vector<Target> &targets,
			  const std::string &output, const std::string &workdir,
			  bool replace = false);

} // namespace graft::patchgen
