/* SPDX-License-Identifier: MIT */
/* livepatch-callbacks-demo.c - the kernel's test_klp_callbacks_demo: callbacks on three
 * objects (the program, libcallbacks_mod.so, libcallbacks_busy.so) and one replaced
 * function, busymod_work_func() in libcallbacks_busy.so. Its pre_patch callbacks return
 * the target's callbacks_pre_patch_ret ("set pre_patch_ret N"). */
#define DEMO_NAME "livepatch-callbacks-demo"
#include "callbacks-demo-common.h"

static void patched_work_func(void)
{
	graft_log("%s: %s", DEMO_NAME, __func__);
}

static struct graft_func busymod_funcs[] = {
	{.old_name = "busymod_work_func", .new_func = (void *)patched_work_func},
	{0},
};

static struct graft_sym program_syms[] = {
	{.name = "callbacks_pre_patch_ret", .addr = (void **)&demo_pre_patch_ret},
	{0},
};

static struct graft_object objs[] = {
	{.name = NULL, .funcs = demo_no_funcs, .callbacks = DEMO_CALLBACKS, .syms = program_syms},
	{.name = "libcallbacks_mod.so", .funcs = demo_no_funcs, .callbacks = DEMO_CALLBACKS},
	{.name = "libcallbacks_busy.so", .funcs = busymod_funcs, .callbacks = DEMO_CALLBACKS},
	{0},
};

static struct graft_patch patch = {.objs = objs};

GRAFT_PATCH(patch);
