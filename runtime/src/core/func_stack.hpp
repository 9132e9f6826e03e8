// SPDX-License-Identifier: MIT
// func_stack.hpp - redirection policy per original function (the kernel's patch.c
// klp_ops): every patch that replaces a function pushes its Func on that function's
// stack; the newest enabled one wins; when it goes the one below takes over, and when
// the last goes the original bytes come back.
#pragma once

#include <string>
#include <vector>

#include "core/patch.hpp"

namespace graft::core {

struct FuncStack {
	uintptr_t old_addr = 0;
	arch::Site *site = nullptr;
	std::vector<Func *> funcs; // bottom .. top (back() is the active replacement)
};

// The stack of the function at old_addr, or nullptr when it is not patched.
FuncStack *find_func_stack(uintptr_t old_addr);

// Patches every func of obj: pushes each on its function's stack, points the slots of
// existing stacks at the new top and installs the entry jumps of new ones in one batch.
// All or nothing: on failure nothing is changed and *why says why.
bool patch_object(Object &obj, std::string *why);

// The reverse: pops obj's funcs wherever they are on their stacks, retargets or
// removes. Never fails for a patched object (removal failure is logged and the
// stub then keeps pointing at the original code, which is equally correct).
void unpatch_object(Object &obj);

// Only obj's nop funcs (atomic replace) leave their stacks.
void unpatch_nops(Object &obj);

// Points obj's functions where their stacks say: the top replacement, or the selection
// path while the top func is in transition.
void retarget_object(Object &obj);

// The func right below func on its function's stack (the previous version), or nullptr
// when func is the bottom (the previous version is the original).
const Func *func_below(const Func &func);

// Number of functions currently redirected (for tests and `graft list`).
size_t func_stack_count();

} // namespace graft::core
