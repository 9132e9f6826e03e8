/* SPDX-License-Identifier: MIT */
/* fleet_fix.c - the patch the fleet test rolls out: an ABI 3 module for the fleet
 * library's build-id (TGT_ID) that makes tgt_version() return FIX_TEXT. Built with
 * VETO_ENV, its pre_patch callback refuses the patch in a process whose environment has
 * that variable: the runtime then reports "pre-patch callback ... refused the patch",
 * the "bad patch" of one host (the test starts that host's processes with it). */
#include <errno.h>
#include <stdlib.h>

#include <graft/graft.h>

static const char *fixed_version(void)
{
	return FIX_TEXT;
}

#ifdef VETO_ENV
static int refuse_where_marked(struct graft_object *obj)
{
	(void)obj;
	return getenv(VETO_ENV) ? -EPERM : 0;
}
#define PRE_PATCH refuse_where_marked
#else
#define PRE_PATCH NULL
#endif

static struct graft_func funcs[] = {{.old_name = "tgt_version", .new_func = (void *)fixed_version},
				    {0}};

static struct graft_object objs[] = {{.name = "libstoretgt.so.1",
				      .funcs = funcs,
				      .callbacks = {.pre_patch = PRE_PATCH},
				      .build_id = TGT_ID},
				     {0}};

static struct graft_patch patch = {.objs = objs};

GRAFT_PATCH(patch);
