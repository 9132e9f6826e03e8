// SPDX-License-Identifier: MIT
// state.cpp - system states: lookup, the compatibility rule, and graft_get_state /
// graft_get_prev_state for the patches' callbacks (the kernel's state.c).
#include "core/state.hpp"

#include "core/callbacks.hpp"
#include "core/shadow_types.hpp"
#include "core/transition.hpp"

namespace graft::core {
namespace {

// Installed: enabled, or in transition either way (the kernel's klp_patches).
bool installed(const Patch &p)
{
	return p.enabled || transition_patch() == &p;
}

// The loaded patch whose module describes itself with desc. The caller holds
// patch_mutex.
const Patch *patch_of(const graft_patch *desc)
{
	for (const auto &p : patches)
		if (p->desc == desc)
			return p.get();
	return nullptr;
}

} // namespace

graft_state *find_state(const Patch &patch, unsigned long id)
{
	for (graft_state *s = first_state(patch); s && s->id; s = next_state(patch, s))
		if (s->id == id)
			return s;
	return nullptr;
}

bool is_patch_compatible(const Patch &patch, std::string *why)
{
	for (const auto &old : patches) {
		if (old.get() == &patch || !installed(*old))
			continue;
		for (graft_state *s = first_state(*old); s && s->id; s = next_state(*old, s)) {
			graft_state *mine = find_state(patch, s->id);
			if (!mine && !patch.replace)
				continue;
			// A state with a shadow type is one graft undoes itself: a replace
			// patch without it frees its variables (docs/shadow-variables.md).
			if (!mine && state_shadow_type(*old, *s))
				continue;
			if (mine && mine->version >= s->version)
				continue;
			*why = "patch '" + old->name + "' installed state " +
			       std::to_string(s->id) + " at version " + std::to_string(s->version) +
			       ", which '" + patch.name + "' " +
			       (mine ? "has at the lower version " + std::to_string(mine->version)
				     : std::string(
					       "does not carry (a replace patch must carry every "
					       "installed state)"));
			return false;
		}
	}
	return true;
}

} // namespace graft::core

using namespace graft::core;

namespace {

graft_state *find_of(const graft_patch *desc, unsigned long id)
{
	const Patch *p = patch_of(desc);
	return p ? find_state(*p, id) : nullptr;
}

} // namespace

extern "C" GRAFT_API struct graft_state *graft_get_state(struct graft_patch *patch,
							 unsigned long id)
{
	if (!patch) {
		const Object *obj = running_object();
		if (!obj || !obj->owner)
			return nullptr;
		return find_state(*obj->owner, id);
	}
	// The module's ABI version tells the size of its graft_state. A callback, or a
	// shadow dtor run by the core, runs with patch_mutex held by this thread; any other
	// caller takes it.
	if (running_object() || in_shadow_release())
		return find_of(patch, id);
	std::lock_guard<std::mutex> guard(patch_mutex);
	return find_of(patch, id);
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
