// SPDX-License-Identifier: MIT
// resolve.cpp - symbol resolution and patchability checks for a patch's objects.
#include "core/resolve.hpp"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "arch/x86_64/site.hpp"
#include "symbols/symbols.hpp"

namespace graft::core {
namespace {

// Symbol tables by the file read (obj.file: the mapped file itself, never a path that
// was replaced since), read once (guarded by patch_mutex).
std::map<std::string, std::shared_ptr<symbols::SymbolTable>> tables;

std::shared_ptr<symbols::SymbolTable> table_for(const symbols::Object &obj, std::string *why)
{
	if (obj.file.empty()) {
		*why = obj.file_error.empty() ? "'" + obj.path + "' cannot be read"
					      : obj.file_error;
		return nullptr;
	}
	auto it = tables.find(obj.file);
	if (it != tables.end())
		return it->second;
	// A stripped program's .symtab is in its separate debug file, when installed.
	auto table = symbols::SymbolTable::open_with_debug(
		obj.file, obj.path, symbols::SymbolTable::default_debug_dirs(), why);
	if (table)
		tables.emplace(obj.file, table);
	return table;
}

bool build_funcs(Object &obj, std::string *why)
{
	std::set<std::pair<std::string, unsigned long>> seen;
	for (graft_func *f = obj.desc->funcs; f && f->old_name; f++) {
		if (!f->new_func) {
			*why = "function '" + std::string(f->old_name) + "' in object '" +
			       obj.name + "' has no replacement (new_func is NULL)";
			return false;
		}
		if (!seen.emplace(f->old_name, f->old_sympos).second) {
			*why = "function '" + std::string(f->old_name) +
			       "' appears twice in object '" + obj.name + "'";
			return false;
		}
		Func func;
		func.desc = f;
		func.name = f->old_name;
		func.sympos = f->old_sympos;
		func.new_addr = reinterpret_cast<uintptr_t>(f->new_func);
		obj.funcs.push_back(std::move(func));
	}
	// An object without functions is allowed, as in the kernel: it has callbacks, or
	// symbols for the patch's code, only.
	return true;
}

bool resolve_func(Func &func, const symbols::Object &where, const symbols::SymbolTable &table,
		  const std::string &obj_name, std::string *why)
{
	symbols::Symbol sym;
	if (!table.find(func.name.c_str(), func.sympos, where.base, obj_name, &sym, why))
		return false;
	if (!sym.is_func) {
		*why = "symbol '" + func.name + "' in object '" + obj_name + "' is not a function";
		return false;
	}
	func.old_addr = sym.addr;
	func.old_size = sym.size;
	std::string reason;
	func.site = arch::site_prepare(sym.addr, sym.size, func.name.c_str(), &reason);
	if (!func.site) {
		*why = "cannot patch function '" + func.name + "' in object '" + obj_name +
		       "': " + reason;
		return false;
	}
	return true;
}

bool resolve_syms(Object &obj, const symbols::Object &where, const symbols::SymbolTable &table,
		  std::vector<std::pair<void **, void *>> *cells, std::string *why)
{
	for (graft_sym *s = obj.desc->syms; s && s->name; s++) {
		symbols::Symbol sym;
		if (!table.find(s->name, s->sympos, where.base, obj.name, &sym, why))
			return false;
		if (sym.is_tls) {
			*why = "symbol '" + std::string(s->name) + "' in object '" + obj.name +
			       "' is thread-local (STT_TLS): a graft_sym cell holds one address "
			       "for "
			       "every thread; reach the variable through a function of the program "
			       "that returns its address";
			return false;
		}
		if (!s->addr) {
			*why = "symbol '" + std::string(s->name) + "' in object '" + obj.name +
			       "' has no cell to receive its address (addr is NULL)";
			return false;
		}
		cells->emplace_back(s->addr, reinterpret_cast<void *>(sym.addr));
	}
	return true;
}

// The patch names the build it was made for: any other build of the object (a library
// upgraded on disk, a rebuilt program) is refused. Read from memory (symbols::Object).
bool check_build_id(const Object &obj, const symbols::Object &where, std::string *why)
{
	if (obj.build_id.empty() || obj.build_id == where.build_id)
		return true;
	*why = "patch '" + obj.owner->name + "' is for build-id " + obj.build_id + " of '" +
	       obj.name + "', but '" + where.path + "' is loaded with " +
	       (where.build_id.empty() ? std::string("no build-id")
				       : "build-id " + where.build_id) +
	       ": it is another build of that object (rebuild the patch against it)";
	return false;
}

bool resolve_object_cells(Object &obj, const symbols::Object &where,
			  std::vector<std::pair<void **, void *>> *cells, std::string *why)
{
	if (!check_build_id(obj, where, why))
		return false;
	auto table = table_for(where, why);
	if (!table)
		return false;
	for (Func &func : obj.funcs)
		if (!resolve_func(func, where, *table, obj.name, why))
			return false;
	return resolve_syms(obj, where, *table, cells, why);
}

// The end of the loaded segment of the module that contains addr.
uintptr_t segment_end(uintptr_t addr)
{
	struct Query {
		uintptr_t addr, end;
	} q{addr, addr + 1};
	dl_iterate_phdr(
		[](dl_phdr_info *info, size_t, void *data) {
			auto *q = static_cast<Query *>(data);
			for (int i = 0; i < info->dlpi_phnum; i++) {
				const auto &ph = info->dlpi_phdr[i];
				uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
				if (ph.p_type == PT_LOAD && q->addr >= lo && q->addr < hi) {
					q->end = hi;
					return 1;
				}
			}
			return 0;
		},
		&q);
	return q.end;
}

void bind(Object &obj, const symbols::Object &where)
{
	obj.loaded = true;
	obj.path = where.path;
	obj.base = where.base;
}

} // namespace

void size_replacements(Patch &patch)
{
	link_map *lm = nullptr;
	if (dlinfo(patch.handle, RTLD_DI_LINKMAP, &lm) != 0)
		lm = nullptr;
	std::string ignored;
	auto table = lm ? symbols::SymbolTable::open(patch.path, &ignored) : nullptr;
	for (auto &obj : patch.objects)
		for (Func &func : obj->funcs) {
			func.new_size = table ? table->size_at(func.new_addr - lm->l_addr) : 0;
			if (!func.new_size)
				func.new_size = segment_end(func.new_addr) - func.new_addr;
		}
}

bool build_objects(Patch &patch, std::string *why)
{
	if (!patch.desc->objs || !patch.desc->objs[0].funcs) {
		*why = "patch '" + patch.name + "' has no objects";
		return false;
	}
	std::set<std::string> names;
	for (graft_object *o = patch.desc->objs; o->funcs; o = next_object(patch, o)) {
		auto obj = std::make_unique<Object>();
		obj->desc = o;
		obj->owner = &patch;
		obj->name = o->name ? o->name : exe_name();
		if (patch.abi_version >= 3 && o->build_id)
			obj->build_id = o->build_id;
		if (!names.insert(o->name ? o->name : "").second) {
			*why = "object '" + obj->name + "' appears twice in patch '" + patch.name +
			       "'";
			return false;
		}
		if (!build_funcs(*obj, why))
			return false;
		patch.objects.push_back(std::move(obj));
	}
	return true;
}

bool resolve_loaded_objects(Patch &patch, std::string *why)
{
	// Every object bound already (an enable right after its load, under the same hold of
	// patch_mutex): nothing to look up, and the listing costs a read of /proc/self/maps
	// and a stat per loaded object.
	if (std::all_of(patch.objects.begin(), patch.objects.end(),
			[](const std::unique_ptr<Object> &obj) { return obj->loaded; }))
		return true;
	std::vector<symbols::Object> loaded = symbols::list_loaded();
	std::vector<std::pair<void **, void *>> cells;
	std::vector<std::pair<Object *, const symbols::Object *>> bound;
	for (auto &obj : patch.objects) {
		if (obj->loaded)
			continue;
		const symbols::Object *where = symbols::find_object(loaded, obj->desc->name);
		if (!where)
			continue; // not loaded: patched when it loads
		if (!resolve_object_cells(*obj, *where, &cells, why)) {
			for (auto &b : bound)
				free_object_loaded(*b.first);
			free_object_loaded(*obj);
			return false;
		}
		bound.emplace_back(obj.get(), where);
	}
	for (auto &[obj, where] : bound)
		bind(*obj, *where);
	for (auto &[cell, addr] : cells)
		*cell = addr;
	return true;
}

bool resolve_object(Object &obj, const symbols::Object &where, std::string *why)
{
	std::vector<std::pair<void **, void *>> cells;
	if (!resolve_object_cells(obj, where, &cells, why)) {
		free_object_loaded(obj);
		return false;
	}
	bind(obj, where);
	for (auto &[cell, addr] : cells)
		*cell = addr;
	return true;
}

// The kernel's klp_free_object_loaded: the object's code is going away, so nothing may
// point into it any more. The sites are not freed: their stubs may still be on the
// stack of a thread returning through them (they are small and kept for good).
void free_object_loaded(Object &obj)
{
	obj.loaded = false;
	obj.path.clear();
	obj.base = 0;
	for (Func &func : obj.funcs) {
		func.old_addr = 0;
		func.old_size = 0;
		func.site = nullptr;
	}
	for (graft_sym *s = obj.desc->syms; s && s->name; s++)
		if (s->addr)
			*s->addr = nullptr;
}

} // namespace graft::core
