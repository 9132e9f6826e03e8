/* SPDX-License-Identifier: MIT */
/* abi_patch.c - a complete patch module in strict C99 (-std=c99 -pedantic -Werror): what abi_test loads. */
#include <graft/graft.h>

#include "abi_layout.h"

/* Replacements: abi_test calls them through new_func to check they are these. */
static int abi_exe_replacement(int x)
{
	return x + 100;
}

static int abi_lib_replacement(int x)
{
	return x + 200;
}

/* Filled by the runtime before pre_patch; the test checks the pointer to it. */
static void *abi_static_data_addr;

static int abi_pre_patch(struct graft_object *obj)
{
	graft_log("abi_patch: pre_patch of '%s' (state %d)", graft_object_name(obj),
		  (int)graft_object_state(obj));
	return 0;
}

static void abi_post_unpatch(struct graft_object *obj)
{
	graft_log("abi_patch: post_unpatch of '%s'", graft_object_name(obj));
}

/* A function pointer converted to void * is an extension ISO C does not have; the
 * conversion is exact on every target graft supports. */
#define ABI_FUNC(fn) (__extension__(void *)(fn))

static struct graft_func abi_exe_funcs[] = {
	{.old_name = "abi_exe_func", .new_func = ABI_FUNC(abi_exe_replacement)},
	{.old_name = "abi_dup_static", .new_func = ABI_FUNC(abi_exe_replacement), .old_sympos = 2},
	{0}};

static struct graft_func abi_lib_funcs[] = {
	{.old_name = "abi_lib_func", .new_func = ABI_FUNC(abi_lib_replacement)}, {0}};

static struct graft_sym abi_lib_syms[] = {
	{.name = "abi_static_data", .sympos = 1, .addr = &abi_static_data_addr}, {0}};

static struct graft_object abi_objs[] = {
	{.name = NULL, .funcs = abi_exe_funcs},
	{.name = "libabi_target.so",
	 .funcs = abi_lib_funcs,
	 .callbacks = {.pre_patch = abi_pre_patch, .post_unpatch = abi_post_unpatch},
	 .syms = abi_lib_syms},
	{0}};

static struct graft_patch abi_patch = {
	.objs = abi_objs,
	.replace = 0,
};

GRAFT_PATCH(abi_patch);
