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
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
