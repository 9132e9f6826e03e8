// SPDX-License-Identifier: MIT
// hooks.cpp - the fix's own callbacks and shadow types, from its .graft.* sections.
#include "hooks.hpp"

#include "common.hpp"

#include <elf.h>

namespace graft::patchgen {

namespace {

constexpr const char *kCallbacks = ".graft.callbacks.";
constexpr const char *kShadowTypes = ".graft.shadow_types";

std::string kind_of(const std::string &section)
{
	if (section.rfind(kCallbacks, 0) == 0) {
		std::string kind = section.substr(std::string(kCallbacks).size());
		if (kind == "pre_patch" || kind == "post_patch" || kind == "pre_unpatch" ||
		    kind == "post_unpatch")
			return kind;
	}
	return section == kShadowTypes ? "shadow_type" : "";
}

} // namespace

std::vector<Hook> find_hooks(const ElfObject &patched, const std::string &tu)
{
	std::vector<Hook> out;
	for (const Symbol &s : patched.symbols) {
		if (!s.defined() || s.type != STT_OBJECT || s.shndx >= patched.sections.size())
			continue;
		std::string kind = kind_of(patched.sections[s.shndx].name);
		if (kind.empty())
			continue;
		std::vector<Reloc> relocs = patched.relocs_of(s);
		if (relocs.size() != 1 || relocs[0].type != R_X86_64_64)
			throw Refusal(tu + ": '" + s.name + "' in " +
				      patched.sections[s.shndx].name +
				      " is not one address (use the GRAFT_*_CALLBACK and "
				      "GRAFT_SHADOW_TYPE macros of <graft/graft.h>)");
		const Symbol *t = &patched.symbols[relocs[0].sym];
		// A static function or object is referred to through its section.
		if (t->type == STT_SECTION)
			t = patched.symbol_at(t->shndx, static_cast<uint64_t>(relocs[0].addend));
		if (!t || !t->defined() || (kind == "shadow_type") != (t->type == STT_OBJECT))
			throw Refusal(
				tu + ": " + kind + " '" + s.name + "' does not name a " +
				(kind == "shadow_type" ? "struct graft_shadow_type" : "function") +
				" of the fix's own code");
		out.push_back({kind, t->name, s.name});
	}
	return out;
}

std::string hook_labels(std::vector<Hook> &hooks, const std::string &id)
{
	std::string text;
	for (size_t i = 0; i < hooks.size(); i++) {
		std::string label = "__graft_hook_" + id + "_" + std::to_string(i);
		text += "\t.globl\t" + label + "\n\t.hidden\t" + label + "\n\t.set\t" + label +
			", \"" + hooks[i].target + "\"\n";
		hooks[i].label = label;
	}
	return text;
}

} // namespace graft::patchgen
