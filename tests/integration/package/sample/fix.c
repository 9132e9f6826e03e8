// SPDX-License-Identifier: MIT
// The package test's patch module: answer() returns 2. Built outside the source tree
// against the installed graft-dev, with find_package(graft) and with pkg-config.
#include <graft/graft.h>

static int answer_patched(void)
{
	return 2;
}

static struct graft_func funcs[] = {{.old_name = "answer", .new_func = (void *)answer_patched},
				    {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
