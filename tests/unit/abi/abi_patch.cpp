// SPDX-License-Identifier: MIT
// abi_patch.cpp - the same patch module in C++ (built as C++11 and C++20, -pedantic -Werror).
#include <graft/graft.h>

#include "abi_layout.h"

namespace {

int abi_exe_replacement(int x)
{
	return x + 100;
}

int abi_lib_replacement(int x)
{
	return x + 200;
}

void *abi_static_data_addr;

int abi_pre_patch(graft_object *obj)
{
	graft_log("abi_patch: pre_patch of '%s' (state %d)", graft_object_name(obj),
		  static_cast<int>(graft_object_state(obj)));
	return 0;
}

void abi_post_unpatch(graft_object *obj)
{
	graft_log("abi_patch: post_unpatch of '%s'", graft_object_name(obj));
}

void *as_ptr(int (*fn)(int))
{
	return reinterpret_cast<void *>(fn);
}

// Positional initialisers: C++11 has no designated ones.
graft_func abi_exe_funcs[] = {
	{"abi_exe_func", as_ptr(abi_exe_replacement), 0},
	{"abi_dup_static", as_ptr(abi_exe_replacement), 2},
	{nullptr, nullptr, 0},
};

graft_func abi_lib_funcs[] = {
	{"abi_lib_func", as_ptr(abi_lib_replacement), 0},
	{nullptr, nullptr, 0},
};

graft_sym abi_lib_syms[] = {
	{"abi_static_data", 1, &abi_static_data_addr},
	{nullptr, 0, nullptr},
};

graft_object abi_objs[] = {
	{nullptr, abi_exe_funcs, {nullptr, nullptr, nullptr, nullptr}, nullptr, nullptr},
	{"libabi_target.so",
	 abi_lib_funcs,
	 {abi_pre_patch, nullptr, nullptr, abi_post_unpatch},
	 abi_lib_syms,
	 nullptr},
	{nullptr, nullptr, {nullptr, nullptr, nullptr, nullptr}, nullptr, nullptr},
};

graft_patch abi_patch = {abi_objs, 0};

} // namespace

GRAFT_PATCH(abi_patch);
