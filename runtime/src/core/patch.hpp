// SPDX-License-Identifier: MIT
// patch.hpp - the core's model of a loaded patch: patch -> objects -> funcs (the
// kernel's klp_patch/klp_object/klp_func internals). The module's own structs are only
// read; everything the runtime tracks lives here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <graft/graft.h>

namespace graft::arch {
struct Site;
}

namespace graft::core {

struct FuncStack;
struct Patch;

struct Func {
	const graft_func *desc = nullptr;
	std::string name; // old_name
	unsigned long sympos = 0;
	uintptr_t old_addr = 0; // resolved while the object is loaded
	size_t old_size = 0;
	uintptr_t new_addr = 0;	    // desc->new_func
	size_t new_size = 0;	    // its size in the patch module (ELF st_size)
	arch::Site *site = nullptr; // prepared at resolve time
	bool patched = false;	    // on its FuncStack
	bool transition = false;    // its patch is in transition (the kernel's func->transition)
	// Atomic replace: back to the original (new_addr is set to the original code when it
	// is pushed on its stack).
	bool nop = false;
};

struct Object {
	graft_object *desc = nullptr;
	std::string name;     // graft_object_name(): exe file name for NULL
	std::string build_id; // desc->build_id (ABI >= 3), "" when it names none
	bool loaded = false;  // resolved against a loaded object
	std::string path;     // while loaded: the file it was resolved in
	uintptr_t base = 0;   // while loaded: its load bias (tells a reload apart)
	enum graft_object_state state = GRAFT_OBJECT_LIVE; // what graft_object_state() says
	bool patched = false;
	bool post_unpatch_enabled = false;    // pre_patch ran and succeeded (kernel's flag)
	bool shadow_types_registered = false; // its desc->shadow_types are registered
	std::vector<Func> funcs;
	// Atomic replace: an object the replace patch does not have, made for nops; desc
	// points at owned_desc.
	std::unique_ptr<graft_object> owned_desc;
	std::string owned_name; // owned_desc->name's storage
	Patch *owner = nullptr; // the patch it belongs to
};

struct Patch {
	std::string name; // file name without ".so"
	std::string path;
	void *handle = nullptr; // dlopen handle
	graft_patch *desc = nullptr;
	unsigned int abi_version = 0;
	std::vector<std::unique_ptr<Object>> objects;
	bool enabled = false;
	bool replace = false;	   // desc->replace: a cumulative patch
	bool replaced = false;	   // disabled by a replace patch's transition (unloadable)
	bool handing_over = false; // replaced, its states still visible to the replace
				   // patch's post_patch (graft_get_prev_state)
	bool forced = false;	   // a transition was forced: never unloaded (threads may
				   // still run its code)
	bool shadow_states_registered = false; // its states' shadow types are registered
	bool store_pending = false;	       // loaded from the patch store for a library being
					       // dlopen'ed: enabled if that library is its build,
					       // else unloaded (core/store_patches.cpp)
};

// A module's arrays are stepped with the module's element sizes: in ABI versions 1 and
// 2, graft_object and graft_state end before the fields version 3 appended.
inline size_t object_size(unsigned int abi)
{
	return abi < 3 ? offsetof(graft_object, shadow_types) : sizeof(graft_object);
}
inline size_t state_size(unsigned int abi)
{
	return abi < 3 ? offsetof(graft_state, shadow_type) : sizeof(graft_state);
}
inline graft_object *next_object(const Patch &patch, const graft_object *o)
{
	return reinterpret_cast<graft_object *>(reinterpret_cast<uintptr_t>(o) +
						object_size(patch.abi_version));
}
// The patch's states, ended by id 0 (nullptr for version 1: graft_patch ends before).
inline graft_state *first_state(const Patch &patch)
{
	return patch.abi_version >= 2 ? patch.desc->states : nullptr;
}
inline graft_state *next_state(const Patch &patch, const graft_state *s)
{
	return reinterpret_cast<graft_state *>(reinterpret_cast<uintptr_t>(s) +
					       state_size(patch.abi_version));
}

// patch_mutex serialises every patch operation and guards patches, every Patch, Object,
// Func and FuncStack (the kernel's klp_mutex). Not taken on any application hot path:
// the stubs read only their slot, and the transition path reads per-thread state.
extern std::mutex patch_mutex;

// Loaded patches in load order (the kernel's klp_patches). Guarded by patch_mutex.
extern std::vector<std::unique_ptr<Patch>> patches;

Patch *find_patch(const std::string &name);

// The executable's file name (what graft_object_name() returns for NULL).
const std::string &exe_name();

} // namespace graft::core
