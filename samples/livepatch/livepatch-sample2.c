/* SPDX-License-Identifier: MIT */
/* livepatch-sample2.c - a second patch of cmdline_show(), stacked on livepatch-sample.so, with logging callbacks. */
#include <graft/graft.h>

/* Replacement functions run on the target's hot path: keep them pure. */
static const char *livepatch2_cmdline_show(void)
{
	return "this has been live patched twice";
}

/* Callbacks run on the runtime's control thread: the place to log. graft_log and
 * graft_object_name are left undefined here and bind to the preloaded libgraft.so. */
static int pre_patch(struct graft_object *obj)
{
	graft_log("livepatch-sample2: pre_patch of '%s'", graft_object_name(obj));
	return 0;
}

static void post_patch(struct graft_object *obj)
{
	graft_log("livepatch-sample2: post_patch of '%s'", graft_object_name(obj));
}

static void pre_unpatch(struct graft_object *obj)
{
	graft_log("livepatch-sample2: pre_unpatch of '%s'", graft_object_name(obj));
}

static void post_unpatch(struct graft_object *obj)
{
	graft_log("livepatch-sample2: post_unpatch of '%s'", graft_object_name(obj));
}

static struct graft_func funcs[] = {{
					    .old_name = "cmdline_show",
					    .new_func = (void *)livepatch2_cmdline_show,
				    },
				    {0}};

static struct graft_object objs[] = {{
					     .funcs = funcs,
					     .callbacks =
						     {
							     .pre_patch = pre_patch,
							     .post_patch = post_patch,
							     .pre_unpatch = pre_unpatch,
							     .post_unpatch = post_unpatch,
						     },
				     },
				     {0}};

static struct graft_patch patch = {
	.objs = objs,
};

GRAFT_PATCH(patch);
