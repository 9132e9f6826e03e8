// SPDX-License-Identifier: MIT
// differ.cpp - correlation of symbols and the change decision, after kpatch's
// create-diff-object: a function changed when its bytes or its relocations (compared by
// the target's name, strings by content) differ; data must not change at all.
#include "differ.hpp"

#include "common.hpp"

#include <elf.h>

#include <algorithm>
#include <map>
#include <set>
#include <cctype>
#include <cstring>
#include <vector>

namespace graft::patchgen {

std::string normalize_name(const std::string &name)
{
	std::string out;
	for (size_t i = 0; i < name.size(); i++) {
		out.push_back(name[i]);
		if (name[i] == '.' && i + 1 < name.size() &&
		    std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
			out.push_back('#');
			while (i + 1 < name.size() &&
			       std::isdigit(static_cast<unsigned char>(name[i + 1])))
				i++;
		}
	}
	return out;
}

bool is_compiler_temporary(const std::string &name)
{
	// __unnamed_N, ___asan_gen_*: sanitizer metadata (source locations, global
	// descriptors), numbered per unit and used only by the code that refers to it.
	// .str, .str.N: Clang's string literals made symbols (with redzones) under ASan.
	for (const char *p : {"CSWTCH.", "__func__.", "__PRETTY_FUNCTION__.", "__FUNCTION__.",
			      "DW.ref.", ".L", "__const.", "__unnamed_", "___asan_gen_", ".str"})
		if (name.rfind(p, 0) == 0)
			return true;
	return false;
}

std::string cold_parent(const std::string &name)
{
	size_t at = name.find(".cold");
	return at == std::string::npos || at == 0 ? std::string() : name.substr(0, at);
}

namespace {

bool pc_relative(uint32_t type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32 || type == R_X86_64_GOTPCREL ||
	       type == R_X86_64_GOTPCRELX || type == R_X86_64_REX_GOTPCRELX;
}

std::string hex_of(const std::vector<uint8_t> &bytes)
{
	static const char d[] = "0123456789abcdef";
	std::string s;
	for (uint8_t b : bytes) {
		s.push_back(d[b >> 4]);
		s.push_back(d[b & 15]);
	}
	return s;
}

// What a relocation points at, independent of layout: a symbol's normalized name and
// offset, a string's content, or an anonymous section's name and bytes.
std::string target_key(const ElfObject &o, const Reloc &r, bool shallow = false)
{
	const Symbol &s = o.symbols[r.sym];
	std::string type = std::to_string(r.type) + ":";
	// A string literal's label (.LC5) in a mergeable section (GNU as keeps relocations
	// against it there): its number shifts when a fix adds a literal anywhere before it,
	// so it is keyed by its content as a section-relative reference is.
	bool literal = s.type == STT_NOTYPE && s.name.rfind(".L", 0) == 0 && s.defined() &&
		       s.shndx < o.sections.size() && (o.sections[s.shndx].flags & SHF_STRINGS);
	if (s.type != STT_SECTION && !literal)
		return type + "s:" + normalize_name(s.name) + "+" + std::to_string(r.addend);
	if (s.shndx >= o.sections.size())
		return type + "abs";
	const Section &sec = o.sections[s.shndx];
	int64_t off = r.addend + (pc_relative(r.type) ? 4 : 0) +
		      (literal ? static_cast<int64_t>(s.value) : 0);
	if ((sec.flags & SHF_STRINGS) && off >= 0 && static_cast<size_t>(off) < sec.bytes.size())
		return type + "str:" +
		       std::string(reinterpret_cast<const char *>(sec.bytes.data()) + off,
				   strnlen(reinterpret_cast<const char *>(sec.bytes.data()) + off,
					   sec.bytes.size() - static_cast<size_t>(off)));
	if (off >= 0)
		if (const Symbol *t = o.symbol_at(s.shndx, static_cast<uint64_t>(off)))
			return type + "s:" + normalize_name(t->name) + "+" +
			       std::to_string(r.addend - static_cast<int64_t>(t->value));
	std::string key = type + "sec:" + normalize_name(sec.name) + "+" + std::to_string(r.addend);
	if (shallow || (sec.flags & SHF_EXECINSTR))
		return key;
	key += ":" + hex_of(sec.bytes);
	for (const Reloc &inner : sec.relocs)
		key += ";" + std::to_string(inner.offset) + target_key(o, inner, true);
	return key;
}

bool same_contents(const ElfObject &a, const Symbol &sa, const ElfObject &b, const Symbol &sb)
{
	if (sa.size != sb.size || a.bytes_of(sa) != b.bytes_of(sb))
		return false;
	std::vector<Reloc> ra = a.relocs_of(sa), rb = b.relocs_of(sb);
	if (ra.size() != rb.size())
		return false;
	for (size_t i = 0; i < ra.size(); i++)
		if (ra[i].offset != rb[i].offset || ra[i].type != rb[i].type ||
		    target_key(a, ra[i]) != target_key(b, rb[i]))
			return false;
	return true;
}

// The kind of section an object lives in: what decides whether the target's copy is
// writable. ".rodata.x" -> ".rodata", ".data.rel.ro.x" -> ".data.rel.ro".
std::string section_kind(const ElfObject &o, const Symbol &s)
{
	if (s.shndx >= o.sections.size())
		return "?";
	const std::string &n = o.sections[s.shndx].name;
	for (const char *k : {".data.rel.ro", ".rodata", ".data", ".bss", ".tdata", ".tbss"})
		if (n.rfind(k, 0) == 0)
			return k;
	return n;
}

bool correlatable(const Symbol &s)
{
	return s.defined() && is_entity(s) && !is_compiler_temporary(s.name);
}

// A function-local static ("count.3"): GCC numbers them per unit, so the number says
// nothing about which function's static it is.
bool is_local_static(const Symbol &s)
{
	return (s.type == STT_OBJECT || s.type == STT_TLS) && s.bind == STB_LOCAL &&
	       normalize_name(s.name) != s.name;
}

using Users = std::map<std::string, std::set<std::string>>;

// The symbol a relocation refers to. Through a section symbol, a PC-relative addend
// also counts the bytes after the displacement: 4, plus an immediate of 1, 2 or 4
// bytes (cmpb $0, x(%rip) has -5), so each is tried. graft-cc compiles with
// -fdata-sections: a static's section holds nothing else, so no guess lands on a
// neighbour.
const Symbol *referenced(const ElfObject &o, const Reloc &r)
{
	const Symbol *t = &o.symbols[r.sym];
	if (t->type != STT_SECTION)
		return t;
	if (!pc_relative(r.type))
		return r.addend >= 0 ? o.symbol_at(t->shndx, static_cast<uint64_t>(r.addend))
				     : nullptr;
	for (int64_t tail : {4, 5, 6, 8}) {
		int64_t off = r.addend + tail;
		if (off >= 0)
			if (const Symbol *s = o.symbol_at(t->shndx, static_cast<uint64_t>(off)))
				return s;
	}
	return nullptr;
}

// For every local static, the (normalized) names of the functions that refer to it.
Users users_of_local_statics(const ElfObject &o)
{
	Users users;
	for (const Symbol &f : o.symbols) {
		if (!f.defined() || f.type != STT_FUNC)
			continue;
		for (const Reloc &r : o.relocs_of(f)) {
			const Symbol *t = referenced(o, r);
			if (t && is_local_static(*t))
				users[t->name].insert(normalize_name(f.name));
		}
	}
	return users;
}

// kpatch's rule for function-local statics: a static of the patched unit is the
// original's static of the same base name that the same functions use. Two candidates
// used by the same functions cannot be told apart: refused, never guessed. A static no
// original one matches is new (the module gets its own).
// The same names, used by the same functions, on both sides: nothing was renumbered.
// Clang's split of a static struct into its fields (global_error.0, global_error.1:
// used by the same functions, told apart only by their field number) is such a group.
bool pair_exactly(Users &uo, Users &up, const std::vector<const Symbol *> &olist,
		  const std::vector<const Symbol *> &plist, Diff &d)
{
	if (olist.size() != plist.size())
		return false;
	for (const Symbol *p : plist) {
		auto same = std::find_if(olist.begin(), olist.end(),
					 [&](const Symbol *o) { return o->name == p->name; });
		if (same == olist.end() || uo[(*same)->name] != up[p->name])
			return false;
	}
	for (const Symbol *p : plist)
		if (!up[p->name].empty())
			d.twin[p->name] = p->name;
	return true;
}

void correlate_local_statics(Users &uo, Users &up, const std::vector<const Symbol *> &olist,
			     const std::vector<const Symbol *> &plist, const std::string &tu,
			     Diff &d)
{
	if (plist.size() > 1 && pair_exactly(uo, up, olist, plist, d))
		return;
	for (const Symbol *p : plist) {
		const std::set<std::string> &mine = up[p->name];
		if (mine.empty())
			continue; // unused: nothing refers to it, nothing to bind
		for (const Symbol *q : plist)
			if (q != p && up[q->name] == mine)
				throw Refusal("ambiguous function-local static: " + tu + ": '" +
					      p->name + "' and '" + q->name +
					      "' have the same name and are used by the "
					      "same functions (an inlined function's static?); "
					      "rename one of "
					      "them or keep the function out of line");
		const Symbol *match = nullptr;
		for (const Symbol *o : olist) {
			if (uo[o->name] != mine)
				continue;
			if (match)
				throw Refusal(
					"ambiguous function-local static: " + tu + ": '" + p->name +
					"' and more than one static of the original named like it "
					"are used by the same functions; rename one of them");
			match = o;
		}
		if (match)
			d.twin[p->name] = match->name;
	}
}

// Pairs symbols with the same normalized name: function-local statics by the functions
// that use them; everything else by exact name first, then the rest in symbol-table
// order (".isra.N", ".part.N" clones).
void correlate(const ElfObject &orig, const ElfObject &patched, const std::string &tu, Diff &d)
{
	std::map<std::string, std::vector<const Symbol *>> po, pp;
	Users uo = users_of_local_statics(orig), up = users_of_local_statics(patched);
	for (const Symbol &s : orig.symbols)
		if (correlatable(s))
			po[normalize_name(s.name)].push_back(&s);
	for (const Symbol &s : patched.symbols)
		if (correlatable(s))
			pp[normalize_name(s.name)].push_back(&s);
	for (auto &[key, plist] : pp) {
		auto it = po.find(key);
		if (it == po.end())
			continue;
		if (is_local_static(*plist.front())) {
			correlate_local_statics(uo, up, it->second, plist, tu, d);
			continue;
		}
		std::vector<const Symbol *> olist = it->second, rest;
		for (const Symbol *p : plist) {
			auto same = std::find_if(olist.begin(), olist.end(), [&](const Symbol *o) {
				return o->name == p->name;
			});
			if (same != olist.end()) {
				d.twin[p->name] = (*same)->name;
				olist.erase(same);
			} else {
				rest.push_back(p);
			}
		}
		for (size_t i = 0; i < rest.size() && i < olist.size(); i++)
			d.twin[rest[i]->name] = olist[i]->name;
	}
}

void check_data(const ElfObject &orig, const Symbol &o, const ElfObject &patched, const Symbol &p,
		const std::string &tu)
{
	std::string where =
		tu + ": " + (p.type == STT_TLS ? "thread-local " : "") + "object '" + p.name + "'";
	if (o.size != p.size)
		throw Refusal(
			"changed data: " + where + " changes size (" + std::to_string(o.size) +
			" -> " + std::to_string(p.size) +
			" bytes); existing data cannot be changed by a live patch (use a shadow "
			"variable, docs/shadow-variables.md)");
	if (section_kind(orig, o) != section_kind(patched, p))
		throw Refusal("changed data: " + where + " moves from " + section_kind(orig, o) +
			      " to " + section_kind(patched, p) +
			      " (the target's copy is read-only or laid out differently)");
	if (!same_contents(orig, o, patched, p))
		throw Refusal(
			"changed data: " + where +
			" has a different initial value; existing data cannot be changed by a "
			"live patch (set it from a callback instead)");
}

// Functions run by .init_array/.ctors: changing them means the change would never run.
std::set<std::string> initialisers(const ElfObject &o)
{
	std::set<std::string> out;
	for (const Section &s : o.sections) {
		if (s.name.rfind(".init_array", 0) != 0 && s.name.rfind(".ctors", 0) != 0 &&
		    s.name.rfind(".preinit_array", 0) != 0)
			continue;
		for (const Reloc &r : s.relocs) {
			const Symbol &t = o.symbols[r.sym];
			if (t.type == STT_SECTION) {
				if (const Symbol *f =
					    o.symbol_at(t.shndx, static_cast<uint64_t>(r.addend)))
					out.insert(f->name);
			} else {
				out.insert(t.name);
			}
		}
	}
	return out;
}

void classify_functions(const ElfObject &orig, const ElfObject &patched, const std::string &tu,
			Diff &d)
{
	for (const Symbol &p : patched.symbols) {
		if (!p.defined() || (p.type != STT_FUNC && p.type != STT_GNU_IFUNC))
			continue;
		auto tw = d.twin.find(p.name);
		if (tw == d.twin.end()) {
			if (p.type == STT_GNU_IFUNC)
				throw Refusal("new IFUNC: " + tu + ": '" + p.name +
					      "'; a live patch cannot add an IFUNC");
			d.added.insert(p.name);
		} else if (!same_contents(orig, *orig.find(tw->second), patched, p)) {
			d.changed.insert(p.name);
		}
		std::string parent = cold_parent(p.name);
		if (!parent.empty())
			d.parent[p.name] = parent;
	}
	// A changed or new ".cold" part makes its function changed: only the function
	// has an entry to redirect, the part comes with it.
	for (const auto &[part, parent] : d.parent)
		if ((d.changed.count(part) || d.added.count(part)) && !d.added.count(parent))
			d.changed.insert(parent);
	for (const auto &[part, parent] : d.parent) {
		d.changed.erase(part);
		d.added.erase(part);
	}
	// Sanitizer constructors run once at start-up (see check_initialisers).
	for (const char *ctor : {"asan.module_ctor", "asan.module_dtor"}) {
		d.changed.erase(ctor);
		d.added.erase(ctor);
	}
}

void classify_data(const ElfObject &orig, const ElfObject &patched, const std::string &tu, Diff &d)
{
	for (const Symbol &p : patched.symbols) {
		if (!correlatable(p) || (p.type != STT_OBJECT && p.type != STT_TLS))
			continue;
		auto tw = d.twin.find(p.name);
		if (tw != d.twin.end()) {
			check_data(orig, *orig.find(tw->second), patched, p, tu);
			continue;
		}
		if (p.type == STT_TLS)
			throw Refusal("new thread-local data: " + tu + ": '" + p.name +
				      "'; a live patch cannot add thread-local storage");
		d.new_data.insert(p.name);
	}
}

void check_initialisers(const ElfObject &orig, const ElfObject &patched, const std::string &tu,
			const Diff &d)
{
	std::set<std::string> before = initialisers(orig), after = initialisers(patched);
	// AddressSanitizer's constructor registers the unit's globals (their metadata changes
	// with any code change); the target's copy already registered the target's globals.
	for (auto *set : {&before, &after}) {
		set->erase("asan.module_ctor");
		set->erase("asan.module_dtor");
	}
	for (const std::string &f : after)
		if (d.changed.count(f) || d.added.count(f) || !d.twin.count(f) ||
		    !before.count(d.twin.at(f)))
			throw Refusal(
				"changed static initialiser: " + tu + ": '" + f +
				"' runs at program start-up, which is over; a live patch cannot "
				"change or add static initialisers");
	if (before.size() != after.size())
		throw Refusal("changed static initialisers: " + tu +
			      ": the set of start-up functions differs");
}

// The bytes of an executable section that no sized function symbol covers, with the
// relocations there: top-level asm, or functions without .size.
std::string loose_code(const ElfObject &o, const Section &s)
{
	std::vector<bool> covered(s.bytes.size(), false);
	for (const Symbol &sym : o.symbols)
		if (sym.shndx == s.index && sym.type == STT_FUNC && sym.size > 0)
			for (uint64_t i = sym.value; i < sym.value + sym.size && i < covered.size();
			     i++)
				covered[i] = true;
	std::string out;
	for (size_t i = 0; i < s.bytes.size(); i++)
		if (!covered[i])
			out.push_back(static_cast<char>(s.bytes[i]));
	for (const Reloc &r : s.relocs)
		if (r.offset >= covered.size() || !covered[r.offset])
			out += ";" + target_key(o, r, true);
	return out;
}

void check_loose_code(const ElfObject &orig, const ElfObject &patched, const std::string &tu)
{
	for (const Section &s : patched.sections) {
		if (!(s.flags & SHF_EXECINSTR) || s.size == 0)
			continue;
		const Section *o = nullptr;
		for (const Section &c : orig.sections)
			if (c.name == s.name)
				o = &c;
		bool has_func = false;
		for (const Symbol &sym : patched.symbols)
			has_func = has_func ||
				   (sym.shndx == s.index && sym.type == STT_FUNC && sym.size);
		// A new function's section holds its patchable-entry padding outside the symbol.
		if (!o && has_func)
			continue;
		if (!o || loose_code(orig, *o) != loose_code(patched, s))
			throw Refusal(
				"changed assembly: " + tu + ": section " + s.name +
				" holds code outside any sized function (top-level asm) and it "
				"changed; graft-patchgen does not patch assembly");
	}
}

} // namespace

Diff diff_objects(const ElfObject &orig, const ElfObject &patched, const std::string &tu)
{
	Diff d;
	correlate(orig, patched, tu, d);
	classify_functions(orig, patched, tu, d);
	classify_data(orig, patched, tu, d);
	check_initialisers(orig, patched, tu, d);
	check_loose_code(orig, patched, tu);
	return d;
}

namespace {

std::vector<std::string> toplevel_asm(const std::string &s)
{
	std::vector<std::string> blocks;
	bool in_func = false, in_app = false;
	std::string cur;
	size_t pos = 0;
	while (pos < s.size()) {
		size_t end = s.find('\n', pos);
		std::string line =
			s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
		pos = end == std::string::npos ? s.size() : end + 1;
		if (line.find(".cfi_startproc") != std::string::npos)
			in_func = true;
		if (line.find(".cfi_endproc") != std::string::npos)
			in_func = false;
		if (line.find("#APP") != std::string::npos && !in_func) {
			in_app = true;
			cur.clear();
		} else if (line.find("#NO_APP") != std::string::npos && in_app) {
			in_app = false;
			blocks.push_back(cur);
		} else if (in_app) {
			cur += line + "\n";
		}
	}
	return blocks;
}

} // namespace

void check_toplevel_asm(const std::string &orig_s, const std::string &patched_s,
			const std::string &tu)
{
	if (toplevel_asm(orig_s) != toplevel_asm(patched_s))
		throw Refusal("changed assembly: " + tu +
			      ": a top-level asm statement changed; graft-patchgen does not patch "
			      "assembly");
}

} // namespace graft::patchgen
