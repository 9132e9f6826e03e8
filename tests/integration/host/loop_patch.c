// SPDX-License-Identifier: MIT
// loop_patch.c - replaces loop_answer of dlopen-loop (1) with one returning 2.
#include <graft/graft.h>

static int answer_patched(void)
{
	return 2;
}

static struct graft_func funcs[] = {{.old_name = "loop_answer", .new_func = (void *)answer_patched},
				    {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
