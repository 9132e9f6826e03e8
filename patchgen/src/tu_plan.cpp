// SPDX-License-Identifier: MIT
// tu_plan.cpp - one translation unit: diff, decide what goes into the module, map every
// target symbol it uses to the deployed target (name + old_sympos), rewrite.
#include "asm_rewrite.hpp"
#include "common.hpp"
#include "differ.hpp"
#include "elf_object.hpp"
#include "hooks.hpp"
#include "module.hpp"

#include <elf.h>

#include <map>
#include <set>

namespace graft::patchgen {

namespace {

struct Context {
	const TuInput &tu;
	const Target &target;
	ElfObject orig, patched;
	Diff diff;
	std::set<std::string> included;		// patched names emitted in the module
	std::map<std::string, Located> located; // target name -> where it is
	std::set<std::string> fresh_data;	// correlated data the target dropped
};

// Where the original object's symbol name ended up in the target.
std::optional<Located> locate_orig(Context &c, const std::string &orig_name)
{
	auto it = c.located.find(orig_name);
	if (it != c.located.end())
		return it->second;
	const Symbol *o = c.orig.find(orig_name);
	std::optional<Located> l =
		o ? c.target.locate(orig_name, o->bind == STB_LOCAL, c.orig.file_symbol)
		  : c.target.locate(orig_name, false, "");
	if (!l)
		return l;
	if (o && o->size != l->size && o->type != STT_NOTYPE)
		throw Refusal(
			"target does not match the original build: '" + orig_name + "' is " +
			std::to_string(l->size) + " bytes in " + c.target.path + " but " +
			std::to_string(o->size) + " in the original " + c.tu.name +
			" (rebuild and deploy the target with graft-cc, or point --src at the "
			"tree it was built from)");
	c.located[orig_name] = *l;
	return l;
}

// Functions referenced by included code that the target has no copy of (inlined
// everywhere in the original build) come into the module too: code has no identity.
void close_over_missing_functions(Context &c)
{
	std::vector<std::string> work(c.included.begin(), c.included.end());
	while (!work.empty()) {
		const Symbol *f = c.patched.find(work.back());
		work.pop_back();
		if (!f)
			continue;
		for (const Reloc &r : c.patched.relocs_of(*f)) {
			const Symbol *t = &c.patched.symbols[r.sym];
			if (t->type == STT_SECTION && t->shndx < c.patched.sections.size() &&
			    (c.patched.sections[t->shndx].flags & SHF_EXECINSTR))
				t = c.patched.symbol_at(t->shndx,
							static_cast<uint64_t>(r.addend + 4));
			if (!t || t->type != STT_FUNC || !t->defined() || c.included.count(t->name))
				continue;
			auto tw = c.diff.twin.find(t->name);
			if (tw != c.diff.twin.end() && locate_orig(c, tw->second))
				continue;
			info(c.tu.name + ": '" + t->name +
			     "' has no copy in the target: emitted privately");
			c.included.insert(t->name);
			work.push_back(t->name);
		}
	}
}

Resolved classify(Context &c, const std::string &sym, bool address_taken)
{
	if (is_compiler_temporary(sym))
		return {Reach::Local, ""};
	const Symbol *p = c.patched.find(sym);
	if (!p) {
		// Another unit's: a global of the target, or one of its hidden functions
		// (-fvisibility=hidden: LOCAL once linked, so no other library has it and the
		// module cannot bind to it by name; issue 21, libgd's gdGetBuf).
		if ((c.target.defines_global(sym) || c.target.defines_hidden(sym)) &&
		    locate_orig(c, sym))
			return {Reach::Slot, sym};
		return {Reach::Extern, ""};
	}
	auto tw = c.diff.twin.find(sym);
	bool changed_with_copy =
		c.diff.changed.count(sym) && tw != c.diff.twin.end() && locate_orig(c, tw->second);
	// A changed function's address stays the original's: pointers compare equal
	// and calls through them are redirected anyway (kpatch's rule).
	if (c.included.count(sym))
		return address_taken && changed_with_copy ? Resolved{Reach::Slot, tw->second}
							  : Resolved{Reach::Local, ""};
	if (c.diff.new_data.count(sym) || c.diff.added.count(sym) || c.fresh_data.count(sym) ||
	    tw == c.diff.twin.end())
		return {Reach::Local, ""};
	if (!locate_orig(c, tw->second)) {
		if (p->type == STT_FUNC)
			throw Refusal(c.tu.name + ": '" + sym +
				      "' is missing in the target but was not "
				      "planned into the module (internal error)");
		warn(c.tu.name + ": '" + sym +
		     "' does not exist in the target (the original build "
		     "dropped it): the module gets its own copy, starting at its initial value");
		c.fresh_data.insert(sym);
		return {Reach::Local, ""};
	}
	return {Reach::Slot, tw->second};
}

std::set<std::string> with_cold_parts(const Context &c, const std::set<std::string> &funcs)
{
	std::set<std::string> out = funcs;
	for (const auto &[part, parent] : c.diff.parent)
		if (funcs.count(parent))
			out.insert(part);
	return out;
}

void refuse_asm_source(const TuInput &tu)
{
	if (read_text(tu.orig_o) != read_text(tu.patched_o))
		throw Refusal("changed assembly: " + tu.name +
			      " is built from an assembly source (" + tu.lang +
			      "); graft-patchgen does not patch assembly files");
}

// The changed functions the target has a copy of: each gets a graft_func.
std::set<std::string> replaced_functions(Context &c)
{
	std::set<std::string> out;
	for (const std::string &f : c.diff.changed) {
		if (locate_orig(c, c.diff.twin.at(f)))
			out.insert(f);
		else
			info(c.tu.name + ": changed '" + f +
			     "' has no copy in the target (inlined): its "
			     "callers carry the change");
		if (f == "main")
			warn(c.tu.name +
			     ": 'main' changed: a running process never calls it again");
	}
	return out;
}

void record(const Context &c, const RewriteOutput &out, TuPlan &plan)
{
	plan.graft_s = out.text;
	for (const auto &[f, label] : out.alias) {
		const Located &l = c.located.at(c.diff.twin.at(f));
		plan.funcs.push_back({c.diff.twin.at(f), label, l.sympos, l.value});
	}
	for (const Cell &cell : out.cells) {
		const Located &l = c.located.at(cell.target);
		plan.syms.push_back({cell.target, cell.label, l.sympos, l.value});
	}
}

// The fix's GRAFT_*_CALLBACK / GRAFT_SHADOW_TYPE: what they name must be the fix's new
// code (the program's own functions are not callbacks); their records are no new data.
std::vector<Hook> own_hooks(Context &c)
{
	std::vector<Hook> hooks = find_hooks(c.patched, c.tu.name);
	for (const Hook &h : hooks) {
		bool fresh = h.kind == "shadow_type" ? c.diff.new_data.count(h.target) != 0
						     : c.diff.added.count(h.target) != 0;
		if (!fresh)
			throw Refusal(
				c.tu.name + ": " + h.kind + " '" + h.target +
				"' is not new in the " +
				"fix: a callback or shadow type must be defined by the fix itself");
		c.diff.new_data.erase(h.record);
	}
	return hooks;
}

} // namespace

TuPlan plan_tu(const TuInput &tu, const Target &target, const std::string &id)
{
	TuPlan plan;
	plan.compiler = tu.compiler;
	plan.lang = tu.lang;
	if (tu.lang == "asm")
		refuse_asm_source(tu);
	if (tu.lang == "lto")
		throw Refusal(tu.name +
			      ": an LTO object (built with -flto); build the program to be "
			      "patched without LTO");
	if (tu.lang == "asm")
		return plan;
	Context c{tu, target, ElfObject::read(tu.orig_o), ElfObject::read(tu.patched_o), {}, {},
		  {}, {}};
	c.diff = diff_objects(c.orig, c.patched, tu.name);
	std::vector<Hook> hooks = own_hooks(c);
	if (!tu.orig_s.empty())
		check_toplevel_asm(read_text(tu.orig_s), read_text(tu.patched_s), tu.name);
	if (c.diff.changed.empty() && c.diff.added.empty())
		return plan;
	if (tu.patched_s.empty())
		throw Refusal(tu.name +
			      ": no assembly of the patched object (compile it with graft-cc, "
			      "which keeps OBJ.graft.s)");
	c.included.insert(c.diff.changed.begin(), c.diff.changed.end());
	c.included.insert(c.diff.added.begin(), c.diff.added.end());
	close_over_missing_functions(c);
	RewriteInput in{read_text(tu.patched_s),
			tu.name,
			id,
			with_cold_parts(c, c.included),
			replaced_functions(c),
			c.diff.new_data,
			[&c](const std::string &s, bool a) { return classify(c, s, a); }};
	for (const std::string &n : c.diff.new_data)
		warn(tu.name + ": new data '" + n +
		     "' starts at its initial value when the module loads");
	record(c, rewrite_asm(in), plan);
	plan.graft_s += hook_labels(hooks, id);
	plan.hooks = hooks;
	plan.changed.assign(c.diff.changed.begin(), c.diff.changed.end());
	plan.added.assign(c.diff.added.begin(), c.diff.added.end());
	return plan;
}

} // namespace graft::patchgen
