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

// Where callers of the stack's function go now: the top replacement or, while the top
// func is in transition, the selection path that picks per thread between it and the
// version below (the kernel's klp_ftrace_handler).
void retarget(FuncStack &stack)
{
	const Func *top = stack.funcs.back();
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
	if (fresh.empty() || arch::sites_install(fresh.data(), fresh.size(), why))
		return true;
	// All or nothing: take every func of obj off again; fresh sites were never
	// installed, so nothing needs removing.
	std::vector<arch::Site *> unused;
	for (Func &func : obj.funcs)
		if (func.patched)
			pop_func(func, &unused);
	return false;
}

void unpatch_object(Object &obj)
{
	std::vector<arch::Site *> to_remove;
	for (Func &func : obj.funcs)
		if (func.patched)
			pop_func(func, &to_remove);
	remove_sites(to_remove);
	obj.patched = false;
}

void unpatch_nops(Object &obj)
{
	std::vector<arch::Site *> to_remove;
	for (Func &func : obj.funcs)
		if (func.nop && func.patched)
			pop_func(func, &to_remove);
	remove_sites(to_remove);
}

void retarget_object(Object &obj)
{
	for (Func &func : obj.funcs)
		if (func.patched)
			if (FuncStack *stack = find_func_stack(func.old_addr))
				retarget(*stack);
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
