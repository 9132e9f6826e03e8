// SPDX-License-Identifier: MIT
// hooks.hpp - callbacks and shadow variable types written in the fix itself
// (GRAFT_PRE_PATCH_CALLBACK(fn) ... GRAFT_SHADOW_TYPE(type) of <graft/graft.h>): found in
// the patched object's .graft.* sections, given global labels in the module, and put in
// the descriptor's graft_object.
#pragma once

#include "elf_object.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace graft::patchgen {

struct Hook {
	std::string kind;   // pre_patch, post_patch, pre_unpatch, post_unpatch, shadow_type
	std::string target; // the function or type the macro named (its symbol)
	std::string record; // the macro's own variable, which nothing else uses
	std::string label;  // the module's global label of target (set by hook_labels)
};

// The hooks of a patched object; a Refusal naming the unit when one cannot be read.
std::vector<Hook> find_hooks(const ElfObject &patched, const std::string &tu);

// Assembly that gives each hook's target a global, hidden label (appended to the unit's
// rewritten assembly); sets each hook's label for the descriptor.
std::string hook_labels(std::vector<Hook> &hooks, const std::string &id);

} // namespace graft::patchgen
