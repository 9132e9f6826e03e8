/* SPDX-License-Identifier: MIT */
/* livepatch-sample.c - the kernel's samples/livepatch/livepatch-sample.c for livepatch-target. */
#include <graft/graft.h>

/*
 * This (dumb) live patch overrides the function that answers "exe" in
 * livepatch-target, the kernel sample's cmdline_proc_show(), so that it says
 * "this has been live patched".
 *
 * Example:
 *
 * $ graft run -- livepatch-target         # type "exe"
 * original cmdline
 *
 * $ graft load $(pidof livepatch-target) livepatch-sample.so
 * exe
 * this has been live patched
 *
 * $ graft disable $(pidof livepatch-target) livepatch-sample
 * exe
 * original cmdline
 */

static const char *livepatch_cmdline_show(void)
{
	return "this has been live patched";
}

static struct graft_func funcs[] = {{
					    .old_name = "cmdline_show",
					    .new_func = (void *)livepatch_cmdline_show,
				    },
				    {0}};

static struct graft_object objs[] = {{
					     /* name being NULL means the main executable */
					     .funcs = funcs,
				     },
				     {0}};

static struct graft_patch patch = {
	.objs = objs,
};

GRAFT_PATCH(patch);
