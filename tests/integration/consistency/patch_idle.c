// SPDX-License-Identifier: MIT
// patch_idle.c - replaces cons_idle_func, which no sleeping thread runs.
#include <graft/graft.h>

static int cons_idle_func_v2(void)
{
	return 2;
}

static struct graft_func funcs[] = {
	{.old_name = "cons_idle_func", .new_func = (void *)cons_idle_func_v2}, {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
#ifndef REPLACE
#define REPLACE 0
#endif
/* Built with REPLACE=1 as cons-idle-replace: a cumulative patch that leaves the codec
 * out, so replacing cons-codec sends codec_f/g/h back to the original (nops). */
static struct graft_patch patch = {.objs = objs, .replace = REPLACE};
GRAFT_PATCH(patch);
