/* SPDX-License-Identifier: MIT */
/* livepatch-lib.c - replaces greeting_suffix() in libgreeting.so (the kernel's patch of a module). */
#include <graft/graft.h>

static const char *livepatch_greeting_suffix(void)
{
	return "this library has been live patched";
}

static struct graft_func funcs[] = {{
					    .old_name = "greeting_suffix",
					    .new_func = (void *)livepatch_greeting_suffix,
				    },
				    {0}};

static struct graft_object objs[] = {{
					     /* matched by file name or soname */
					     .name = "libgreeting.so",
					     .funcs = funcs,
				     },
				     {0}};

static struct graft_patch patch = {
	.objs = objs,
};

GRAFT_PATCH(patch);
