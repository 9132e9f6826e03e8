// SPDX-License-Identifier: MIT
// func_stack.cpp - the function stacks: which replacement each patched function runs.
#include "core/func_stack.hpp"

#include <algorithm>
#include <map>

#include "arch/x86_64/site.hpp"
#include "base/log.hpp"
#include "transition/select.hpp"
#include "transition/thread_state.hpp"

namespace graft::core {
namespace {

// Guarded by patch_mutex. Keyed by the original function's address.
std::map<uintptr_t, FuncStack> stacks;

// Stacks whose entry may have to change mode (direct or through the stub), written
// by flush_direct() at the end of each operation in one code-write batch. Guarded by
// patch_mutex.
std::vector<uintptr_t> direct_pending;

// Where the entry of stack's function should jump directly, or 0 for its stub: the top
// replacement, in the steady state (no transition: the slot would pick it for every
// thread anyway) and within rel32 reach of a detour entry (arch). A nop (atomic
// replace) keeps the stub: it is popped once its transition completes.
uintptr_t direct_target(const FuncStack &stack)
{
	const Func *top = stack.funcs.empty() ? nullptr : stack.funcs.back();
	if (!top || top->transition || top->nop || !arch::site_installed(stack.site) ||
	    !arch::site_reaches(stack.site, top->new_addr))
		return 0;
	return top->new_addr;
}

// Direct mode (one jump instead of two: the entry straight to the replacement) for
// every pending stack that can have it, and back to the stub for every other one.
// A stack leaving the steady state is flushed before its transition starts checking
// threads (the caller holds patch_mutex throughout), so no thread that must choose a
// version per its state passes the stale direct jump once the transition has begun.
// False, with *why, when the code write failed: nothing changed then (all or nothing).
bool flush_direct(std::string *why)
{
	std::vector<arch::Site *> sites;
	std::vector<uintptr_t> targets;
	for (uintptr_t key : direct_pending) {
		auto it = stacks.find(key);
		if (it == stacks.end())
			continue; // its site is removed, which leaves direct mode too
		uintptr_t target = direct_target(it->second);
		if (arch::site_direct(it->second.site) == target)
			continue;
		sites.push_back(it->second.site);
		targets.push_back(target);
	}
	direct_pending.clear();
	return sites.empty() ||
	       arch::sites_set_direct(sites.data(), targets.data(), sites.size(), why);
}

// After an unpatch or a retarget, which cannot be refused any more: a failed write is
// logged (entries left in direct mode keep leading to the replacement they led to).
void flush_direct_or_log()
{
	std::string why;
	if (!flush_direct(&why))
		log::printf("graft: could not switch function entries between direct and stub "
			    "mode: %s",
			    why.c_str());
}

// Where callers of the stack's function go now: the top replacement or, while the top
// func is in transition, the selection path that picks per thread between it and the
// version below (the kernel's klp_ftrace_handler).
void retarget(FuncStack &stack)
{
	const Func *top = stack.funcs.back();
	direct_pending.push_back(stack.old_addr);
	if (!top->transition) {
		arch::site_set_target(stack.site, top->new_addr);
		return;
	}
	const Func *below = stack.funcs.size() > 1 ? stack.funcs[stack.funcs.size() - 2] : nullptr;
	uintptr_t previous = below ? below->new_addr : arch::site_original(stack.site);
	transition::Published p = transition::published();
	// Before the slot store: a thread that takes the selection path finds its targets.
	transition::set_selection(stack.site, top->new_addr, previous, p.initial, p.target);
	arch::site_set_target(stack.site, arch::site_transition(stack.site));
}

void pop_func(Func &func, std::vector<arch::Site *> *to_remove)
{
	auto it = stacks.find(func.old_addr);
	if (it == stacks.end())
		return;
	FuncStack &stack = it->second;
	auto pos = std::find(stack.funcs.begin(), stack.funcs.end(), &func);
	if (pos != stack.funcs.end())
		stack.funcs.erase(pos);
	func.patched = false;
	if (stack.funcs.empty()) {
		// Out of direct mode first (a library unloading while patched in the steady
		// state): the slot store below must be what callers follow.
		uintptr_t stub = 0;
		std::string why;
		if (arch::site_direct(stack.site) &&
		    !arch::sites_set_direct(&stack.site, &stub, 1, &why))
			log::printf(
				"graft: function at %#lx stays in direct mode until its entry is "
				"restored: %s",
				(unsigned long)func.old_addr, why.c_str());
		// Callers go back to the original code at once; the bytes follow.
		arch::site_set_target(stack.site, arch::site_original(stack.site));
		to_remove->push_back(stack.site);
		stacks.erase(it);
	} else {
		retarget(stack);
	}
}

void remove_sites(const std::vector<arch::Site *> &sites)
{
	if (sites.empty())
		return;
	std::string why;
	if (!arch::sites_remove(sites.data(), sites.size(), &why))
		log::printf("graft: could not restore the original entry of %zu function(s): %s "
			    "(they keep running the original code through their stub)",
			    sites.size(), why.c_str());
}

} // namespace

FuncStack *find_func_stack(uintptr_t old_addr)
{
	auto it = stacks.find(old_addr);
	return it == stacks.end() ? nullptr : &it->second;
}

size_t func_stack_count()
{
	return stacks.size();
}

bool patch_object(Object &obj, std::string *why)
{
	std::vector<arch::Site *> fresh;
	for (Func &func : obj.funcs) {
		auto [it, inserted] = stacks.try_emplace(func.old_addr);
		FuncStack &stack = it->second;
		if (inserted) {
			stack.old_addr = func.old_addr;
			stack.site = func.site;
			fresh.push_back(func.site);
		}
		if (func.nop) {
			// Back to the original code; a thread found in it is "in the nop".
			func.new_addr = arch::site_original(stack.site);
			func.new_size = func.old_size;
		}
		stack.funcs.push_back(&func);
		func.patched = true;
		// A fresh site's slot is set before its entry jump exists, so the first
		// caller through the new jump already finds the replacement.
		retarget(stack);
	}
	// Entries leaving direct mode (a transition starts on their stack) must do so
	// before the transition runs: if that write fails, the patch is refused.
	bool installed = fresh.empty() || arch::sites_install(fresh.data(), fresh.size(), why);
	if (installed && flush_direct(why))
		return true;
	// All or nothing: take every func of obj off again, and remove the fresh sites if
	// they were installed.
	std::vector<arch::Site *> to_remove;
	for (Func &func : obj.funcs)
		if (func.patched)
			pop_func(func, &to_remove);
	flush_direct_or_log();
	if (installed)
		remove_sites(to_remove);
	return false;
}

void unpatch_object(Object &obj)
{
	std::vector<arch::Site *> to_remove;
	for (Func &func : obj.funcs)
		if (func.patched)
			pop_func(func, &to_remove);
	flush_direct_or_log();
	remove_sites(to_remove);
	obj.patched = false;
}

void unpatch_nops(Object &obj)
{
	std::vector<arch::Site *> to_remove;
	for (Func &func : obj.funcs)
		if (func.nop && func.patched)
			pop_func(func, &to_remove);
	flush_direct_or_log();
	remove_sites(to_remove);
}

void retarget_object(Object &obj)
{
	for (Func &func : obj.funcs)
		if (func.patched)
			if (FuncStack *stack = find_func_stack(func.old_addr))
				retarget(*stack);
	flush_direct_or_log();
}

const Func *func_below(const Func &func)
{
	const FuncStack *stack = find_func_stack(func.old_addr);
	if (!stack)
		return nullptr;
	for (size_t i = 1; i < stack->funcs.size(); i++)
		if (stack->funcs[i] == &func)
			return stack->funcs[i - 1];
	return nullptr;
}

} // namespace graft::core
