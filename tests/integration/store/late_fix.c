/* SPDX-License-Identifier: MIT */
/* late_fix.c - the patch for libstorelate.so (dlopen'ed after start), by build-id. */
#include <graft/graft.h>

static const char *fixed_late(void)
{
	return "late fixed";
}

static struct graft_func funcs[] = {{.old_name = "late_value", .new_func = (void *)fixed_late},
				    {0}};

static struct graft_object objs[] = {
	{.name = "libstorelate.so", .funcs = funcs, .build_id = LATE_ID}, {0}};

static struct graft_patch patch = {.objs = objs};

GRAFT_PATCH(patch);
