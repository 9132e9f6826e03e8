/* SPDX-License-Identifier: MIT */
/* fix.c - a hand-written patch module of ABI version 3 that names the build-id of the
 * library it was made for (TGT_ID, the fixed build-id of libstoretgt.so.1). */
#include <graft/graft.h>

static const char *fixed_version(void)
{
	return FIX_TEXT;
}

static struct graft_func funcs[] = {{.old_name = "tgt_version", .new_func = (void *)fixed_version},
				    {0}};

static struct graft_object objs[] = {
	{.name = "libstoretgt.so.1", .funcs = funcs, .build_id = TGT_ID}, {0}};

static struct graft_patch patch = {.objs = objs, .replace = FIX_REPLACE};

GRAFT_PATCH(patch);
