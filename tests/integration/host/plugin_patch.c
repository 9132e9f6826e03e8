// SPDX-License-Identifier: MIT
// plugin_patch.c - replaces p_answer of libhostp.so (42) with one returning 43: a patch
// on a plugin the program loads by name through its RUNPATH.
#include <graft/graft.h>

static int answer_patched(void)
{
	return 43;
}

static struct graft_func funcs[] = {{.old_name = "p_answer", .new_func = (void *)answer_patched},
				    {0}};
static struct graft_object objs[] = {{.name = "libhostp.so", .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
