// SPDX-License-Identifier: MIT
// owner.cpp - a translation unit's target among several, by its functions.
#include "owner.hpp"

#include "common.hpp"
#include "elf_object.hpp"

#include <elf.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

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
			n += !s.defined() && !s.name.empty() &&
			     (t.defines_global(s.name) || t.defines_hidden(s.name));
		if (n > best_n) {
			best = &t;
			best_n = n;
		}
	}
	return *best;
}

// Bytes of a relocation's field in the object: 8 for the 64-bit types, else 4. A
// GOTPCRELX load or call may have been relaxed by the link (mov to lea, call *x to
// addr32 call x): the two bytes before its field may differ too.
bool masked(const std::vector<Reloc> &relocs, uint64_t at)
{
	for (const Reloc &r : relocs) {
		uint64_t width = 4;
		switch (r.type) {
		case R_X86_64_64:
		case R_X86_64_DTPMOD64:
		case R_X86_64_DTPOFF64:
		case R_X86_64_TPOFF64:
		case R_X86_64_PC64:
		case R_X86_64_GOTOFF64:
		case R_X86_64_GOT64:
		case R_X86_64_GOTPCREL64:
		case R_X86_64_GOTPC64:
		case R_X86_64_PLTOFF64:
		case R_X86_64_SIZE64:
			width = 8;
			break;
		default:
			break;
		}
		uint64_t from = r.offset;
		if ((r.type == R_X86_64_GOTPCRELX || r.type == R_X86_64_REX_GOTPCRELX) && from >= 2)
			from -= 2;
		if (at >= from && at < r.offset + width)
			return true;
	}
	return false;
}

// How many of the object's functions the target has, with the object's code: the same
// bytes wherever the object has no relocation.
size_t same_code_in(const ElfObject &obj, const Target &target)
{
	size_t n = 0;
	for (const Symbol &s : obj.symbols) {
		if (!s.defined() || s.type != STT_FUNC || s.size == 0 || !is_entity(s))
			continue;
		std::optional<Located> l;
		try {
			l = target.locate(s.name, s.bind == STB_LOCAL, obj.file_symbol);
		} catch (const Refusal &) {
			continue;
		}
		if (!l || l->size != s.size)
			continue;
		std::vector<uint8_t> mine = obj.bytes_of(s),
				     theirs = target.code(l->value, l->size);
		if (theirs.size() != mine.size())
			continue;
		std::vector<Reloc> relocs = obj.relocs_of(s);
		bool same = true;
		for (uint64_t i = 0; same && i < mine.size(); i++)
			same = mine[i] == theirs[i] || masked(relocs, i);
		n += same;
	}
	return n;
}

// What tells two objects of one source apart: the source file and its functions; ""
// for an object without functions (nothing to compare it by).
std::string source_key(const ElfObject &obj)
{
	std::set<std::string> funcs;
	for (const Symbol &s : obj.symbols)
		if (s.defined() && s.type == STT_FUNC && s.size != 0 && is_entity(s))
			funcs.insert(s.name);
	if (funcs.empty())
		return "";
	std::string key = obj.file_symbol;
	for (const std::string &f : funcs)
		key += "\n" + f;
	return key;
}

// Whether unit a has at least b's code in every target: more somewhere, or the same
// everywhere and a comes first.
bool dominates(const std::vector<size_t> &a, const std::vector<size_t> &b, bool a_first)
{
	bool more = false;
	for (size_t t = 0; t < a.size(); t++) {
		if (a[t] < b[t])
			return false;
		more = more || a[t] > b[t];
	}
	return more || a_first;
}

} // namespace

std::vector<TuInput> one_object_per_source(const std::vector<TuInput> &tus,
					   const std::vector<Target> &targets)
{
	std::map<std::string, std::vector<size_t>> by_source;
	for (size_t i = 0; i < tus.size(); i++) {
		if (tus[i].added)
			continue;
		std::string key = source_key(ElfObject::read(tus[i].orig_o));
		if (!key.empty())
			by_source[key].push_back(i);
	}
	std::set<size_t> left_out;
	for (const auto &[key, units] : by_source) {
		if (units.size() < 2)
			continue;
		// score[u][t]: how many of unit u's functions have target t's code.
		std::vector<std::vector<size_t>> score;
		for (size_t u : units) {
			ElfObject obj = ElfObject::read(tus[u].orig_o);
			score.emplace_back();
			for (const Target &t : targets)
				score.back().push_back(same_code_in(obj, t));
		}
		// A unit another one beats in every target is not the code of any of them (the
		// static library's object next to the shared library's); units that each have
		// one target's code (a program linking the static library, and the shared
		// library) both stay.
		for (size_t u = 0; u < units.size(); u++)
			for (size_t v = 0; v < units.size(); v++) {
				if (u == v || left_out.count(units[v]) ||
				    !dominates(score[v], score[u], v < u))
					continue;
				info(tus[units[u]].name + ": the same source as " +
				     tus[units[v]].name +
				     ", compiled again for another output (libtool's static "
				     "library); " +
				     std::to_string(
					     *std::max_element(score[u].begin(), score[u].end())) +
				     " of its functions have the target's code, " +
				     std::to_string(
					     *std::max_element(score[v].begin(), score[v].end())) +
				     " of " + tus[units[v]].name + "'s: left out");
				left_out.insert(units[u]);
				break;
			}
	}
	std::vector<TuInput> out;
	for (size_t i = 0; i < tus.size(); i++)
		if (!left_out.count(i))
			out.push_back(tus[i]);
	return out;
}

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
