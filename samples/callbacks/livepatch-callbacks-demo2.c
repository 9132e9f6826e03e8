/* SPDX-License-Identifier: MIT */
/* livepatch-callbacks-demo2.c - the kernel's test_klp_callbacks_demo2: callbacks on the
 * program, plus (for graft's "two patches on one loading library" case) on
 * libcallbacks_mod.so. Its pre_patch callbacks return the target's
 * callbacks_pre_patch_ret2 ("set pre_patch_ret2 N"). Built with DEMO_REPLACE=1 as
 * livepatch-callbacks-demo2-replace.so (the kernel's demo2 with replace=1). */
#ifndef DEMO_NAME
#define DEMO_NAME "livepatch-callbacks-demo2"
#endif
#ifndef DEMO_REPLACE
#define DEMO_REPLACE 0
#endif
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

static struct graft_patch patch = {.objs = objs, .replace = DEMO_REPLACE};

GRAFT_PATCH(patch);
