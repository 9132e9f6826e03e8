// SPDX-License-Identifier: MIT
// owner.cpp - a translation unit's target among several, by its functions.
#include "owner.hpp"

#include "common.hpp"
#include "elf_object.hpp"

#include <elf.h>

namespace graft::patchgen {

namespace {

size_t functions_in(const ElfObject &obj, const Target &target)
{
	size_t n = 0;
	for (const Symbol &s : obj.symbols) {
		if (!s.defined() || s.type != STT_FUNC || s.size == 0 || !is_entity(s))
			continue;
		try {
			auto l = target.locate(s.name, s.bind == STB_LOCAL, obj.file_symbol);
			n += l && l->size == s.size;
		} catch (const Refusal &) {
			// Ambiguous in this target: not evidence either way.
		}
	}
	return n;
}

// A new unit has no function in any target: it goes with the target that defines most
// of what it uses (the first target when none does).
const Target &owner_of_new(const TuInput &tu, const std::vector<Target> &targets)
{
	ElfObject obj = ElfObject::read(tu.patched_o);
	const Target *best = &targets[0];
	size_t best_n = 0;
	for (const Target &t : targets) {
		size_t n = 0;
		for (const Symbol &s : obj.symbols)
			n += !s.defined() && !s.name.empty() && t.defines_global(s.name);
		if (n > best_n) {
			best = &t;
			best_n = n;
		}
	}
	return *best;
}

} // namespace

const Target &owner_of(const TuInput &tu, const std::vector<Target> &targets)
{
	if (tu.added)
		return owner_of_new(tu, targets);
	ElfObject obj = ElfObject::read(tu.orig_o);
	const Target *best = nullptr;
	size_t best_n = 0;
	bool tie = false;
	for (const Target &t : targets) {
		size_t n = functions_in(obj, t);
		if (n > best_n) {
			best = &t;
			best_n = n;
			tie = false;
		} else if (n == best_n && n > 0) {
			tie = true;
		}
	}
	// Its changes would be dropped as "inlined everywhere": a unit of another library.
	if (!best)
		throw Refusal(
			tu.name + ": none of its functions is in " +
			(targets.size() == 1 ? targets[0].path : std::string("any --target")) +
			": it was linked into another object; give that executable or library "
			"as a --target too (one module can patch several)");
	if (tie)
		throw Refusal(tu.name +
			      ": its functions are in several --target objects alike (a unit "
			      "linked into each of them): generate one module per target");
	info(tu.name + ": part of " + best->path);
	return *best;
}

} // namespace graft::patchgen
