// SPDX-License-Identifier: MIT
// library.cpp - patching libraries as they load and reverting them as they unload (the
// kernel's klp_module_coming / klp_module_going in core.c). No transition happens here:
// a loading library's code has not run yet, an unloading one's cannot run any more.
#include "core/library.hpp"

#include <cerrno>
#include <cstring>

#include "core/callbacks.hpp"
#include "core/state.hpp"
#include "core/func_stack.hpp"
#include "base/log.hpp"
#include "core/resolve.hpp"
#include "core/transition.hpp"

namespace graft::core {

void (*library_pin)(const std::string &path);

namespace {

// This thread's load gate: its depth, and whether the outermost enter took
// patch_mutex (not while exiting). Initial-exec TLS: reading it takes no loader lock.
__attribute__((tls_model("initial-exec"))) thread_local int gate_depth;
__attribute__((tls_model("initial-exec"))) thread_local bool gate_locked;

// patch_mutex for a library event: already held through this thread's gate, or taken.
std::unique_lock<std::mutex> lock_for_event()
{
	if (gate_locked)
		return std::unique_lock<std::mutex>(patch_mutex, std::defer_lock);
	return std::unique_lock<std::mutex>(patch_mutex);
}

// Enabled, or in transition either way (the kernel keeps both on klp_patches).
bool patch_is_live(const Patch &patch)
{
	return patch.enabled || transition_patch() == &patch;
}

Object *unbound_object_for(Patch &patch, const symbols::Object &lib)
{
	for (auto &obj : patch.objects)
		if (obj->desc->name && !obj->loaded &&
		    symbols::object_matches(lib, obj->desc->name))
			return obj.get();
	return nullptr;
}

bool bound_to(const Object &obj, const symbols::Object &lib)
{
	return obj.loaded && obj.desc->name && obj.base == lib.base && obj.path == lib.path;
}

// The body of the kernel's klp_cleanup_module_patches_limit for one object.
void revert_object(Patch &patch, Object &obj, enum graft_object_state state)
{
	obj.state = state;
	if (transition_patch() != &patch)
		run_pre_unpatch(obj);
	log::printf("graft: reverting patch '%s' on unloading library '%s'", patch.name.c_str(),
		    obj.name.c_str());
	if (obj.patched)
		unpatch_object(obj);
	run_post_unpatch(obj);
	obj.state = GRAFT_OBJECT_LIVE;
	free_object_loaded(obj);
}

// One patch onto the loading library. 0, or -errno with *why saying what failed.
int apply_object(Patch &patch, Object &obj, const symbols::Object &lib, std::string *why)
{
	const char *p = patch.name.c_str(), *l = obj.name.c_str();
	if (!resolve_object(obj, lib, why)) {
		log::printf("graft: failed to initialize patch '%s' for library '%s' (%d)", p, l,
			    -EINVAL);
		log::printf("graft: %s", why->c_str());
		return -EINVAL;
	}
	log::printf("graft: applying patch '%s' to loading library '%s'", p, l);
	obj.state = GRAFT_OBJECT_COMING;
	int ret = run_pre_patch(obj);
	if (ret) {
		log::printf("graft: pre-patch callback failed for object '%s'", l);
		*why = std::string("its pre-patch callback failed: ") + strerror(-ret);
	} else if (!patch_object(obj, why)) {
		ret = -EBUSY;
		log::printf("graft: failed to apply patch '%s' to library '%s' (%d)", p, l, ret);
		run_post_unpatch(obj);
	} else {
		obj.patched = true;
		if (transition_patch() != &patch)
			run_post_patch(obj);
	}
	obj.state = GRAFT_OBJECT_LIVE;
	if (ret == 0 && library_pin)
		library_pin(lib.path);
	return ret;
}

// A patch from the store, loaded (not enabled) by the dlopen wrapper for this library:
// enabled now, before the library's constructors, when this build of the library is
// all it patches (nothing else to switch, so no transition). Other cases are left to
// store_patches_settle() once the dlopen returns.
void enable_store_patches(const symbols::Object &lib)
{
	for (auto &p : patches) {
		Patch &patch = *p;
		Object *obj = patch.store_pending && !transition_patch() && !patch.replace
				      ? unbound_object_for(patch, lib)
				      : nullptr;
		if (!obj || obj->build_id.empty() || obj->build_id != lib.build_id)
			continue;
		bool alone = true;
		for (auto &o : patch.objects)
			alone &= o.get() == obj || !o->loaded;
		std::string why;
		if (!alone || !is_patch_compatible(patch, &why))
			continue;
		log::printf("graft: enabling patch '%s' from the store for loading library '%s'",
			    patch.name.c_str(), obj->name.c_str());
		if (apply_object(patch, *obj, lib, &why) != 0) {
			log::printf("graft: %s", why.c_str());
			free_object_loaded(*obj);
			continue; // settled (unloaded) after the dlopen
		}
		patch.enabled = true;
		patch.store_pending = false;
	}
}

} // namespace

void load_gate_enter()
{
	if (gate_depth++ > 0)
		return;
	if (exiting.load(std::memory_order_relaxed))
		return; // patch_mutex is kept by transition_quiesce_at_exit
	patch_mutex.lock();
	gate_locked = true;
}

void load_gate_exit()
{
	if (--gate_depth > 0 || !gate_locked)
		return;
	gate_locked = false;
	patch_mutex.unlock();
}

bool load_gate_held()
{
	return gate_locked;
}

std::string library_coming(const symbols::Object &lib)
{
	if (exiting.load(std::memory_order_relaxed))
		return {};
	std::unique_lock<std::mutex> guard = lock_for_event();
	for (size_t i = 0; i < patches.size(); i++) {
		Patch &patch = *patches[i];
		Object *obj = patch_is_live(patch) ? unbound_object_for(patch, lib) : nullptr;
		if (!obj)
			continue;
		std::string why;
		if (apply_object(patch, *obj, lib, &why) == 0)
			continue;
		log::printf(
			"graft: patch '%s' failed for library '%s', refusing to load library '%s'",
			patch.name.c_str(), obj->name.c_str(), obj->name.c_str());
		free_object_loaded(*obj);
		for (size_t j = 0; j < i; j++)
			for (auto &o : patches[j]->objects)
				if (patch_is_live(*patches[j]) && bound_to(*o, lib))
					revert_object(*patches[j], *o, GRAFT_OBJECT_COMING);
		transition_objects_changed();
		return "patch '" + patch.name + "' refused library '" + obj->name + "': " + why;
	}
	enable_store_patches(lib);
	transition_objects_changed();
	return {};
}

void library_going(const symbols::Object &lib)
{
	if (exiting.load(std::memory_order_relaxed))
		return; // _dl_fini closing everything: patches stay as they are
	std::unique_lock<std::mutex> guard = lock_for_event();
	for (auto &patch : patches)
		for (auto &obj : patch->objects) {
			if (!bound_to(*obj, lib))
				continue;
			if (patch_is_live(*patch))
				revert_object(*patch, *obj, GRAFT_OBJECT_GOING);
			else
				free_object_loaded(
					*obj); // loaded but never enabled: nothing applied
		}
	transition_objects_changed();
}

} // namespace graft::core
