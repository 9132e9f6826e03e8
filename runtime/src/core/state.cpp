// SPDX-License-Identifier: MIT
// state.cpp - system states: lookup, the compatibility rule, and graft_get_state /
// graft_get_prev_state for the patches' callbacks (the kernel's state.c).
#include "core/state.hpp"

#include "core/callbacks.hpp"
#include "core/transition.hpp"

namespace graft::core {
namespace {

graft_state *find_in(graft_state *states, unsigned long id)
{
	for (graft_state *s = states; s && s->id; s++)
		if (s->id == id)
			return s;
	return nullptr;
}

// Installed: enabled, or in transition either way (the kernel's klp_patches).
bool installed(const Patch &p)
{
	return p.enabled || transition_patch() == &p;
}

} // namespace

graft_state *find_state(const Patch &patch, unsigned long id)
{
	if (patch.abi_version < 2)
		return nullptr; // a version 1 graft_patch ends before states
	return find_in(patch.desc->states, id);
}

bool is_patch_compatible(const Patch &patch, std::string *why)
{
	for (const auto &old : patches) {
		if (old.get() == &patch || !installed(*old) || old->abi_version < 2)
			continue;
		for (graft_state *s = old->desc->states; s && s->id; s++) {
			graft_state *mine = find_state(patch, s->id);
			if (!mine && !patch.replace)
				continue;
			if (mine && mine->version >= s->version)
				continue;
			*why = "patch '" + old->name + "' installed state " + std::to_string(s->id) +
			       " at version " + std::to_string(s->version) + ", which '" + patch.name +
			       "' " +
			       (mine ? "has at the lower version " + std::to_string(mine->version)
				     : std::string("does not carry (a replace patch must carry every "
						   "installed state)"));
			return false;
		}
	}
	return true;
}

} // namespace graft::core

using namespace graft::core;

extern "C" GRAFT_API struct graft_state *graft_get_state(struct graft_patch *patch,
							 unsigned long id)
{
	if (!patch) {
		const Object *obj = running_object();
		if (!obj || !obj->owner)
			return nullptr;
		return find_state(*obj->owner, id);
	}
	return find_in(patch->states, id); // only version 2 modules can call this
}

// Only from a callback (with patch_mutex held by this thread) during a transition: the
// newest installed patch before the one in transition that has the state; replaced
// patches count until the replace patch's post_patch callbacks ran.
extern "C" GRAFT_API struct graft_state *graft_get_prev_state(unsigned long id)
{
	Patch *current = transition_patch();
	if (!running_object() || !current)
		return nullptr;
	graft_state *last = nullptr;
	for (const auto &p : patches) {
		if (p.get() == current)
			break;
		if (p->enabled || p->handing_over)
			if (graft_state *s = find_state(*p, id))
				last = s;
	}
	return last;
}
