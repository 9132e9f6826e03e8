/* SPDX-License-Identifier: MIT */
/* livepatch-callbacks-demo2.c - the kernel's test_klp_callbacks_demo2: callbacks on the
 * program, plus (for graft's "two patches on one loading library" case) on
 * libcallbacks_mod.so. Its pre_patch callbacks return the target's
 * callbacks_pre_patch_ret2 ("set pre_patch_ret2 N"). */
#define DEMO_NAME "livepatch-callbacks-demo2"
#include "callbacks-demo-common.h"

static struct graft_sym program_syms[] = {
	{.name = "callbacks_pre_patch_ret2", .addr = (void **)&demo_pre_patch_ret},
	{0},
};

static struct graft_object objs[] = {
	{.name = NULL, .funcs = demo_no_funcs, .callbacks = DEMO_CALLBACKS, .syms = program_syms},
	{.name = "libcallbacks_mod.so", .funcs = demo_no_funcs, .callbacks = DEMO_CALLBACKS},
	{0},
};

static struct graft_patch patch = {.objs = objs};

GRAFT_PATCH(patch);
