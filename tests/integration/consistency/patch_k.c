// SPDX-License-Identifier: MIT
// patch_k.c - replaces cons_k with a version that reports VERSION (2: patch B, installed
// first; 3: patch A, stacked on it).
#include <graft/graft.h>

#include "cons_funcs.hpp"

static int cons_k_patched(struct cons_k_ctl *ctl)
{
	ctl->entered = VERSION;
	while (!ctl->stop)
		__builtin_ia32_pause();
	return VERSION;
}

static struct graft_func funcs[] = {{.old_name = "cons_k", .new_func = (void *)cons_k_patched},
				    {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
