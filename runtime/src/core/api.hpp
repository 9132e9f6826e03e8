// SPDX-License-Identifier: MIT
// api.hpp - what the control server may ask of the core: the patch lifecycle
// (load, enable, disable, unload) and read-only views for list/log/ps.
// Every call takes the patch mutex itself; none throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/log.hpp"

namespace graft::core {

struct Result {
	bool ok = true;
	std::string error; // one line naming the cause and, where there is one, the fix
	static Result fail(std::string msg) { return Result{false, std::move(msg)}; }
};

// The lifecycle calls return once the transition has STARTED: enabling or disabling a
// patch starts a transition that completes in the background when every thread has
// switched (see transition_status()). At most one patch is in transition; enabling or
// disabling another meanwhile is refused, except disabling the patch in transition,
// which reverses it (the kernel's klp_reverse_transition).
//
// dlopen the module at path, validate it completely (export, ABI version, every
// object/func/sym resolvable and every function patchable) and, if enable, enable it.
// The patch's name is the file name without ".so". Nothing changes on failure.
Result patch_load(const std::string &path, bool enable);

// A load whose module has been checked by its caller (control/: the descriptor it
// received, verified by trust/): dlopen opens open_path (/proc/self/fd/N, the very
// file that was verified), the patch is named and shown by path. admit, if set, sees
// the objects the module declares (name, build-id or "") after dlopen and before
// anything is resolved; a failure closes the module again and is returned as is.
struct DeclaredObject {
	std::string name;
	std::string build_id;
};
struct LoadRequest {
	std::string path;
	std::string open_path;
	bool enable = true;
	std::function<Result(const std::vector<DeclaredObject> &)> admit;
};
Result patch_load(const LoadRequest &req);
Result patch_enable(const std::string &name);
Result patch_disable(const std::string &name);
Result patch_unload(const std::string &name);

struct FuncView {
	std::string name; // old_name
	unsigned long sympos = 0;
	uintptr_t old_addr = 0; // 0 while its object is not loaded
	uintptr_t new_addr = 0;
	std::string entry_kind; // "patchable", "detour" or "" (not resolved)
	bool patched = false;	// on its function's stack
	bool active = false;	// top of the function's stack: the code callers run
};
struct ObjectView {
	std::string name; // graft_object_name(): exe file name for the main program
	bool loaded = false;
	bool patched = false;
	std::vector<FuncView> funcs;
};
struct PatchView {
	std::string name;
	std::string path;
	bool enabled = false;
	std::string transition; // "" when none, else "patching" / "unpatching"
	std::vector<ObjectView> objects;
	bool replace = false;  // a cumulative (atomic replace) patch
	bool replaced = false; // disabled by a replace patch; can be unloaded
	int stack_order = 0;   // 1-based position among installed patches (enable
			       // order), 0 when not installed (the kernel's stack_order)
};
std::vector<PatchView> patch_list();

// A registered shadow variable type (docs/shadow-variables.md): its id, how many
// objects and states use it, and how many variables of that id exist.
struct ShadowTypeView {
	unsigned long id = 0;
	long users = 0;
	size_t variables = 0;
};
std::vector<ShadowTypeView> shadow_type_list();

// A thread that has not switched yet, and why (the kernel's klp_try_switch_task
// verdicts): "running in FUNC", "sleeping in FUNC", "has FUNC on its stack",
// "blocks the signal", "unreliable stack" (its stack could not be examined).
struct ThreadHold {
	int tid = 0;
	std::string name; // /proc comm
	std::string reason;
};
struct TransitionView {
	bool active = false;   // a transition is running
	std::string patch;     // its patch
	std::string direction; // "patching" or "unpatching"
	int threads_total = 0; // live threads when last checked
	int threads_switched = 0;
	uint64_t elapsed_usec = 0;	 // since the transition started
	std::vector<ThreadHold> holding; // the threads that have not switched, as last seen
};
TransitionView transition_status();

// Finishes the running transition at once: every thread is switched without a check
// (the kernel's force). Logs "forcing remaining threads to the patched state"; a
// forced patch can no longer be unloaded. Fails when no transition is running.
Result transition_force();

using LogLine = log::Line; // the log is the base library, below the core
// Lines with seq > after, oldest first (at most max).
std::vector<LogLine> log_read(uint64_t after, size_t max);

struct ProcessInfo {
	int pid = 0;
	std::string exe; // /proc/self/exe
	std::string runtime_version;
	int patches = 0;
};
ProcessInfo process_info();

} // namespace graft::core
