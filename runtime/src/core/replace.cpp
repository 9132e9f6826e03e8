// SPDX-License-Identifier: MIT
// replace.cpp - atomic replace: nops for what the cumulative patch leaves out, and the
// hand-over from the replaced patches when its transition completes (kernel core.c).
#include "core/replace.hpp"

#include <cstring>

#include "core/func_stack.hpp"
#include "core/transition.hpp"

namespace graft::core {
namespace {

bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && std::strcmp(a, b) == 0);
}

Object *find_object(Patch &patch, const graft_object *like)
{
	for (auto &obj : patch.objects)
		if (same_name(obj->desc->name, like->name))
			return obj.get();
	return nullptr;
}

// The kernel's klp_find_func: the same name, and sympos 0 and 1 mean the same symbol.
bool covers(const Object &obj, const Func &func)
{
	unsigned long want = func.sympos ? func.sympos : 1;
	for (const Func &f : obj.funcs)
		if (f.name == func.name && (f.sympos ? f.sympos : 1) == want)
			return true;
	return false;
}

Object &dynamic_object(Patch &patch, const Object &like)
{
	auto obj = std::make_unique<Object>();
	obj->owned_desc = std::make_unique<graft_object>();
	obj->owned_name = like.desc->name ? like.desc->name : "";
	obj->owned_desc->name = like.desc->name ? obj->owned_name.c_str() : nullptr;
	obj->owned_desc->funcs = nullptr;
	obj->desc = obj->owned_desc.get();
	obj->name = like.name;
	obj->owner = &patch;
	patch.objects.push_back(std::move(obj));
	return *patch.objects.back();
}

Func nop_for(const Func &func)
{
	Func nop;
	nop.name = func.name;
	nop.sympos = func.sympos;
	nop.nop = true;
	nop.old_addr = func.old_addr; // resolved with the object (or when it loads)
	nop.old_size = func.old_size;
	nop.site = func.site;
	return nop;
}

void add_nops_for(Patch &patch, const Object &old)
{
	Object *obj = find_object(patch, old.desc);
	for (const Func &func : old.funcs) {
		if (func.nop || (obj && covers(*obj, func)))
			continue;
		if (!obj)
			obj = &dynamic_object(patch, old);
		if (old.loaded && !obj->loaded) {
			obj->loaded = true;
			obj->path = old.path;
			obj->base = old.base;
		}
		obj->funcs.push_back(nop_for(func));
	}
}

} // namespace

void add_nops(Patch &patch)
{
	for (auto &old : patches)
		if (old.get() != &patch && old->enabled)
			for (auto &obj : old->objects)
				add_nops_for(patch, *obj);
}

void unpatch_replaced_patches(Patch &patch)
{
	for (auto &old : patches) {
		if (old.get() == &patch || !old->enabled)
			continue;
		for (auto &obj : old->objects)
			if (obj->patched)
				unpatch_object(*obj);
		old->enabled = false;
		old->replaced = true;
		old->handing_over = true;
		if (patch.forced)
			old->forced = true; // threads may still run its code
	}
}

void discard_nops(Patch &patch)
{
	for (auto &obj : patch.objects)
		unpatch_nops(*obj);
	for (auto it = patch.objects.begin(); it != patch.objects.end();) {
		if ((*it)->owned_desc) {
			it = patch.objects.erase(it);
			continue;
		}
		auto &funcs = (*it)->funcs;
		while (!funcs.empty() && funcs.back().nop)
			funcs.pop_back(); // the tail: no patched func moves
		++it;
	}
}

} // namespace graft::core
