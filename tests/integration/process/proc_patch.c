// SPDX-License-Identifier: MIT
// proc_patch.c - replaces proc_answer of proc-target with one returning ANSWER.
#include <graft/graft.h>

static int answer_patched(void)
{
	return ANSWER;
}

static struct graft_func funcs[] = {{.old_name = "proc_answer", .new_func = (void *)answer_patched},
				    {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
