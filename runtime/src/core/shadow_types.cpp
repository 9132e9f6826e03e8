// SPDX-License-Identifier: MIT
// shadow_types.cpp - the lifecycle's shadow type registrations (see shadow_types.hpp).
//
// Registration counts per id (shadow/types.cpp), so a type two objects or two patches
// use stays until both are gone. A patch that had a transition forced keeps its
// registrations for good: threads may still run its code, which may use its variables
// (the same reason it can never be unloaded).
#include "core/shadow_types.hpp"

#include "base/log.hpp"
#include "shadow/types.hpp"

namespace graft::core {
namespace {

// Set while this thread unregisters types for the core (patch_mutex held): the last
// unregistration runs dtors, which may call graft_get_state.
thread_local bool releasing;

void release(const graft_shadow_type *type)
{
	bool outer = releasing;
	releasing = true;
	shadow_vars::unregister_type(type);
	releasing = outer;
}

const graft_shadow_type *const *object_types(const Object &obj)
{
	if (!obj.owner || obj.owner->abi_version < 3)
		return nullptr; // graft_object ends before shadow_types before version 3
	return obj.desc->shadow_types;
}

bool kept_for_forced(const Patch &patch, unsigned long id)
{
	if (!patch.forced)
		return false;
	log::printf("graft: '%s' had a transition forced: shadow type %lx stays registered",
		    patch.name.c_str(), id);
	return true;
}

} // namespace

bool in_shadow_release()
{
	return releasing;
}

const graft_shadow_type *state_shadow_type(const Patch &patch, const graft_state &state)
{
	return patch.abi_version >= 3 ? state.shadow_type : nullptr;
}

bool check_shadow_types(const Patch &patch, std::string *why)
{
	for (const auto &obj : patch.objects)
		for (auto t = object_types(*obj); t && *t; t++)
			if (!(*t)->id) {
				*why = "object '" + obj->name + "' of patch '" + patch.name +
				       "' lists a shadow type with id 0: give it a nonzero id";
				return false;
			}
	for (const graft_state *s = first_state(patch); s && s->id; s = next_state(patch, s)) {
		const graft_shadow_type *t = state_shadow_type(patch, *s);
		if (t && t->id != s->id) {
			*why = "state " + std::to_string(s->id) + " of patch '" + patch.name +
			       "' binds shadow type " + std::to_string(t->id) +
			       ": a state's shadow_type must have the state's id";
			return false;
		}
	}
	return true;
}

bool register_object_shadow_types(Object &obj)
{
	const graft_shadow_type *const *types = object_types(obj);
	for (auto t = types; t && *t; t++) {
		if (shadow_vars::register_type(*t))
			continue;
		for (auto u = types; u != t; u++)
			release(*u);
		return false;
	}
	obj.shadow_types_registered = types && *types;
	return true;
}

void unregister_object_shadow_types(Object &obj)
{
	if (!obj.shadow_types_registered)
		return;
	obj.shadow_types_registered = false;
	for (auto t = object_types(obj); t && *t; t++)
		if (!kept_for_forced(*obj.owner, (*t)->id))
			release(*t);
}

bool register_state_shadow_types(Patch &patch, std::string *why)
{
	for (const graft_state *s = first_state(patch); s && s->id; s = next_state(patch, s)) {
		const graft_shadow_type *t = state_shadow_type(patch, *s);
		if (!t || shadow_vars::register_type(t))
			continue;
		for (const graft_state *u = first_state(patch); u != s; u = next_state(patch, u))
			if (const graft_shadow_type *ut = state_shadow_type(patch, *u))
				release(ut);
		*why = "cannot register the shadow type of state " + std::to_string(s->id) +
		       " of patch '" + patch.name + "' (out of memory)";
		return false;
	}
	patch.shadow_states_registered = true;
	return true;
}

void unregister_state_shadow_types(Patch &patch)
{
	if (!patch.shadow_states_registered)
		return;
	patch.shadow_states_registered = false;
	for (const graft_state *s = first_state(patch); s && s->id; s = next_state(patch, s))
		if (const graft_shadow_type *t = state_shadow_type(patch, *s))
			if (!kept_for_forced(patch, t->id))
				release(t);
}

void unregister_replaced_shadow_types()
{
	for (auto &p : patches) {
		if (!p->handing_over)
			continue;
		for (auto &obj : p->objects)
			unregister_object_shadow_types(*obj);
		unregister_state_shadow_types(*p);
	}
}

} // namespace graft::core
