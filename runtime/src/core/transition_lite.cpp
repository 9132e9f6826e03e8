// SPDX-License-Identifier: MIT
// transition_lite.cpp - immediate transitions (every thread switches at the slot store).
#include "core/transition_lite.hpp"

#include "core/callbacks.hpp"
#include "core/func_stack.hpp"
#include "core/log.hpp"

namespace graft::core {
namespace {

Patch *in_transition;       // guarded by patch_mutex
TransitionDir direction;    // guarded by patch_mutex

const char *dir_name(TransitionDir dir)
{
	return dir == TransitionDir::patching ? "patching" : "unpatching";
}

void complete_transition(Patch &patch)
{
	log::printf("graft: '%s': completing %s transition", patch.name.c_str(),
		    dir_name(direction));
	if (direction == TransitionDir::unpatching)
		for (auto &obj : patch.objects)
			if (obj->patched)
				unpatch_object(*obj);
	for (auto &obj : patch.objects) {
		if (!obj->loaded)
			continue;
		if (direction == TransitionDir::patching)
			run_post_patch(*obj);
		else
			run_post_unpatch(*obj);
	}
	log::printf("graft: '%s': %s complete", patch.name.c_str(), dir_name(direction));
	in_transition = nullptr;
}

} // namespace

Patch *transition_patch()
{
	return in_transition;
}

void init_transition(Patch &patch, TransitionDir dir)
{
	in_transition = &patch;
	direction = dir;
	log::printf("graft: '%s': initializing %s transition", patch.name.c_str(), dir_name(dir));
}

void start_transition(Patch &patch)
{
	log::printf("graft: '%s': starting %s transition", patch.name.c_str(),
		    dir_name(direction));
}

void try_complete_transition(Patch &patch)
{
	complete_transition(patch);
}

void cancel_transition(Patch &patch)
{
	log::printf("graft: '%s': canceling patching transition, going to unpatch",
		    patch.name.c_str());
	direction = TransitionDir::unpatching;
	log::printf("graft: '%s': completing unpatching transition", patch.name.c_str());
	for (auto &obj : patch.objects) {
		if (obj->patched)
			unpatch_object(*obj);
		if (obj->loaded)
			run_post_unpatch(*obj);
	}
	in_transition = nullptr;
}

} // namespace graft::core
