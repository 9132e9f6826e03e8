// SPDX-License-Identifier: MIT
// lifecycle.cpp - load, enable, disable and unload of patches (the kernel's core.c),
// with the callbacks in the kernel's order.
#include <dlfcn.h>

#include <cerrno>
#include <cstring>

#include "core/api.hpp"
#include "core/callbacks.hpp"
#include "core/func_stack.hpp"
#include "core/library.hpp"
#include "core/module_placement.hpp"
#include "base/log.hpp"
#include "core/replace.hpp"
#include "core/resolve.hpp"
#include "core/shadow_types.hpp"
#include "core/state.hpp"
#include "core/transition.hpp"
#include "os/lazy_libs.hpp"

namespace graft::core {

std::mutex patch_mutex;
std::vector<std::unique_ptr<Patch>> patches;

Patch *find_patch(const std::string &name)
{
	for (auto &p : patches)
		if (p->name == name)
			return p.get();
	return nullptr;
}

namespace {

std::string patch_name_of(const std::string &path)
{
	std::string base = path.substr(path.rfind('/') + 1);
	if (base.size() > 3 && base.compare(base.size() - 3, 3, ".so") == 0)
		base.resize(base.size() - 3);
	return base;
}

// dlopen + export + ABI checks. On failure the module is closed again.
bool open_module(Patch &patch, const std::string &open_path, std::string *why)
{
	dlerror();
	patch.handle = dlopen_placed(open_path, RTLD_NOW | RTLD_LOCAL);
	if (!patch.handle) {
		const char *err = dlerror();
		*why = std::string("cannot load patch module: ") +
		       (err ? err : "unknown dlopen error");
		return false;
	}
	auto *exp =
		static_cast<const graft_patch_export *>(dlsym(patch.handle, GRAFT_PATCH_SYMBOL));
	if (!exp)
		*why = "'" + patch.path + "' is not a graft patch module: it does not export '" +
		       GRAFT_PATCH_SYMBOL + "' (define the patch with GRAFT_PATCH(...))";
	else if (exp->abi_version < GRAFT_ABI_VERSION_MIN || exp->abi_version > GRAFT_ABI_VERSION)
		*why = "patch module ABI version " + std::to_string(exp->abi_version) +
		       " is not supported (this runtime supports " +
		       std::to_string(GRAFT_ABI_VERSION_MIN) + " to " +
		       std::to_string(GRAFT_ABI_VERSION) +
		       "): rebuild the module against this graft's <graft/graft.h>";
	else if (!exp->patch)
		*why = "patch module exports no patch (GRAFT_PATCH of a NULL patch)";
	else {
		patch.desc = exp->patch;
		patch.abi_version = exp->abi_version;
		patch.replace = exp->patch->replace != 0;
		return true;
	}
	dlclose(patch.handle);
	patch.handle = nullptr;
	return false;
}

} // namespace

static void move_to_end(Patch &patch)
{
	for (auto it = patches.begin(); it != patches.end(); ++it)
		if (it->get() == &patch) {
			std::unique_ptr<Patch> p = std::move(*it);
			patches.erase(it);
			patches.push_back(std::move(p));
			return;
		}
}

// Enable with the kernel's order: per loaded object pre_patch then patch; then the
// transition; post_patch once it completes. Caller holds patch_mutex.
static Result enable_locked(Patch &patch)
{
	std::string why;
	if (patch.replaced)
		return Result::fail("patch '" + patch.name +
				    "' was replaced by a cumulative patch: "
				    "unload it, and load it again to enable it");
	if (!is_patch_compatible(patch, &why)) {
		log::printf("graft: Livepatch patch (%s) is not compatible with the already "
			    "installed livepatches.",
			    patch.name.c_str());
		return Result::fail("patch '" + patch.name +
				    "' is not compatible with the "
				    "installed patches: " +
				    why + " (Invalid argument)");
	}
	if (!resolve_loaded_objects(patch, &why))      // libraries loaded since the patch was
		return Result::fail(why);	       // loaded, or since it was disabled
	if (!register_state_shadow_types(patch, &why)) // before any pre_patch may use them
		return Result::fail(why);
	move_to_end(patch); // the kernel's klp_patches is in enable order (stack order)
	if (patch.replace)
		add_nops(patch);
	log::printf("graft: enabling patch '%s'", patch.name.c_str());
	init_transition(patch, TransitionDir::patching);
	for (auto &obj : patch.objects) {
		if (!obj->loaded)
			continue;
		int ret = run_pre_patch(*obj);
		if (ret) {
			log::printf("graft: pre-patch callback failed for object '%s'",
				    obj->name.c_str());
			log::printf("graft: failed to enable patch '%s'", patch.name.c_str());
			cancel_transition(patch);
			return Result::fail("pre-patch callback of object '" + obj->name +
					    "' refused the patch: " + strerror(-ret));
		}
		if (!patch_object(*obj, &why)) {
			log::printf("graft: failed to patch object '%s'", obj->name.c_str());
			log::printf("graft: failed to enable patch '%s'", patch.name.c_str());
			cancel_transition(patch);
			return Result::fail(why);
		}
		obj->patched = true;
		if (library_pin && obj->desc->name)
			library_pin(obj->path);
	}
	start_transition(patch);
	patch.enabled = true;
	try_complete_transition(patch);
	return {};
}

static Result disable_locked(Patch &patch)
{
	if (transition_patch() == &patch) {
		if (!patch.enabled)
			return Result::fail("patch '" + patch.name + "' is already being disabled");
		reverse_transition(patch);
		return {};
	}
	init_transition(patch, TransitionDir::unpatching);
	for (auto &obj : patch.objects)
		if (obj->patched)
			run_pre_unpatch(*obj);
	start_transition(patch);
	patch.enabled = false;
	try_complete_transition(patch);
	return {};
}

// Under patch_mutex: removes a patch whose enable failed before its transition started.
static void forget_unstarted(Patch &patch)
{
	if (transition_patch() == &patch)
		cancel_transition(patch);
	for (auto it = patches.begin(); it != patches.end(); ++it)
		if (it->get() == &patch) {
			patches.erase(it);
			return;
		}
}

static bool handle_in_use(void *handle)
{
	for (auto &p : patches)
		if (p->handle == handle)
			return true;
	return false;
}

// Under patch_mutex: everything after the module is open. On failure the caller closes
// the module (outside the lock).
static Result load_locked(std::unique_ptr<Patch> patch, bool enable)
{
	if (find_patch(patch->name))
		return Result::fail("a patch named '" + patch->name +
				    "' is already loaded: unload it first, or rename the module");
	if (enable && transition_patch())
		return Result::fail("patch '" + transition_patch()->name +
				    "' is in transition: wait for it to finish (graft status), or "
				    "load with --no-enable");
	std::string why;
	if (!build_objects(*patch, &why) || !check_shadow_types(*patch, &why) ||
	    !resolve_loaded_objects(*patch, &why))
		return Result::fail(why);
	size_replacements(*patch); // dlinfo and dl_iterate_phdr: not the loader's main lock
	Patch &p = *patch;
	patches.push_back(std::move(patch));
	if (!enable)
		return {};
	Result r;
	try {
		r = enable_locked(p);
	} catch (...) {
		// Out of memory (the only exception here) before the transition started: take
		// the patch out again, as a refusal does (found by the fault test
		// Faults.AllocationFailuresDuringLoad: the load was reported failed and the
		// patch stayed loaded). Once started, the transition is a consistent state.
		if (!p.enabled)
			forget_unstarted(p);
		throw;
	}
	if (!r.ok)
		patches.pop_back();
	return r;
}

// The objects the module declares, for LoadRequest::admit.
static std::vector<DeclaredObject> declared_objects(const Patch &patch)
{
	std::vector<DeclaredObject> out;
	for (const graft_object *o = patch.desc->objs; o && o->funcs; o = next_object(patch, o)) {
		const char *id = patch.abi_version >= 3 ? o->build_id : nullptr;
		out.push_back(DeclaredObject{o->name ? o->name : "", id ? id : ""});
	}
	return out;
}

// The module is opened and closed without patch_mutex: the loader's lock is taken
// before patch_mutex when a library loads (library_coming runs under it), so holding
// patch_mutex while calling into the loader could deadlock.
Result patch_load(const LoadRequest &req)
{
	auto patch = std::make_unique<Patch>();
	patch->path = req.path;
	patch->name = patch_name_of(req.path);
	std::string why;
	if (!open_module(*patch, req.open_path.empty() ? req.path : req.open_path, &why))
		return Result::fail(why);
	void *handle = patch->handle;
	Result r;
	if (req.admit)
		r = req.admit(declared_objects(*patch));
	// libelf and Zydis, loaded with the first patch rather than at start: here, outside
	// patch_mutex, as the module's own dlopen above (os/lazy_libs.hpp), and only for a
	// module admitted, so that a refused one leaves no new mapping behind (security.md).
	if (r.ok && !os::lazy_libs_load(&why))
		r = Result::fail("cannot load patch module: " + why);
	if (r.ok && req.enable)
		transition_worker_prepare(); // never under patch_mutex (core/transition.hpp)
	bool in_use = true;
	try {
		if (r.ok) {
			std::lock_guard<std::mutex> guard(patch_mutex);
			r = load_locked(std::move(patch), req.enable);
		}
	} catch (...) {
		{
			std::lock_guard<std::mutex> guard(patch_mutex);
			in_use = handle_in_use(handle);
		}
		if (!in_use)
			dlclose(handle);
		throw;
	}
	if (!r.ok)
		dlclose(handle);
	return r;
}

Result patch_load(const std::string &path, bool enable)
{
	LoadRequest req;
	req.path = path;
	req.enable = enable;
	return patch_load(req);
}

Result patch_enable(const std::string &name)
{
	transition_worker_prepare(); // never under patch_mutex (core/transition.hpp)
	std::lock_guard<std::mutex> guard(patch_mutex);
	Patch *patch = find_patch(name);
	if (!patch)
		return Result::fail("no patch named '" + name + "' is loaded");
	if (transition_patch() == patch && !patch->enabled) {
		reverse_transition(*patch); // unpatching in progress: back to patching
		return {};
	}
	if (patch->enabled)
		return Result::fail("patch '" + name + "' is already enabled");
	if (transition_patch())
		return Result::fail("patch '" + transition_patch()->name +
				    "' is in transition: wait for it to finish (graft status)");
	return enable_locked(*patch);
}

Result patch_disable(const std::string &name)
{
	transition_worker_prepare(); // never under patch_mutex (core/transition.hpp)
	std::lock_guard<std::mutex> guard(patch_mutex);
	Patch *patch = find_patch(name);
	if (!patch)
		return Result::fail("no patch named '" + name + "' is loaded");
	if (!patch->enabled && transition_patch() != patch)
		return Result::fail("patch '" + name + "' is not enabled");
	if (transition_patch() && transition_patch() != patch)
		return Result::fail("patch '" + transition_patch()->name +
				    "' is in transition: wait for it to finish (graft status)");
	return disable_locked(*patch);
}

static Result unload_locked(const std::string &name, std::unique_ptr<Patch> &doomed)
{
	Patch *patch = find_patch(name);
	if (!patch)
		return Result::fail("no patch named '" + name + "' is loaded");
	if (patch->enabled || transition_patch() == patch)
		return Result::fail("patch '" + name + "' is enabled: disable it before unloading");
	if (patch->forced)
		return Result::fail("patch '" + name +
				    "' had a transition forced: threads may "
				    "still run its code, so it stays loaded");
	for (auto it = patches.begin(); it != patches.end(); ++it) {
		if (it->get() != patch)
			continue;
		doomed = std::move(*it);
		patches.erase(it);
		break;
	}
	return {};
}

// dlclose outside patch_mutex, as dlopen in patch_load.
Result patch_unload(const std::string &name)
{
	std::unique_ptr<Patch> doomed;
	Result r;
	{
		std::lock_guard<std::mutex> guard(patch_mutex);
		r = unload_locked(name, doomed);
	}
	if (doomed)
		dlclose(doomed->handle);
	return r;
}

} // namespace graft::core
