/* SPDX-License-Identifier: MIT */
/* callbacks-demo-common.h - the callbacks of the demo patches (the kernel's
 * test_klp_callbacks_demo): each says which callback runs, for which object and, for a
 * library, in which state, as "<patch>: <callback>: <object> [-> <state>]". */
#ifndef CALLBACKS_DEMO_COMMON_H
#define CALLBACKS_DEMO_COMMON_H

#include <graft/graft.h>

#ifndef DEMO_NAME
#error "define DEMO_NAME, the patch's name (its file name without .so)"
#endif

static const char *const demo_states[] = {
	[GRAFT_OBJECT_LIVE] = "[GRAFT_OBJECT_LIVE] Normal state",
	[GRAFT_OBJECT_COMING] = "[GRAFT_OBJECT_COMING] Fully formed, running constructors",
	[GRAFT_OBJECT_GOING] = "[GRAFT_OBJECT_GOING] Going away",
};

static void demo_info(const char *callback, struct graft_object *obj)
{
	if (obj->name)
		graft_log("%s: %s: %s -> %s", DEMO_NAME, callback, graft_object_name(obj),
			  demo_states[graft_object_state(obj)]);
	else
		graft_log("%s: %s: %s", DEMO_NAME, callback, graft_object_name(obj));
}

/* Where pre_patch finds what to return (a variable of callbacks-target; -19 = -ENODEV). */
static int *demo_pre_patch_ret;

static int demo_pre_patch(struct graft_object *obj)
{
	demo_info("pre_patch_callback", obj);
	return demo_pre_patch_ret ? *demo_pre_patch_ret : 0;
}

static void demo_post_patch(struct graft_object *obj)
{
	demo_info("post_patch_callback", obj);
}

static void demo_pre_unpatch(struct graft_object *obj)
{
	demo_info("pre_unpatch_callback", obj);
}

static void demo_post_unpatch(struct graft_object *obj)
{
	demo_info("post_unpatch_callback", obj);
}

#define DEMO_CALLBACKS                                                              \
	{                                                                           \
		.pre_patch = demo_pre_patch, .post_patch = demo_post_patch,         \
		.pre_unpatch = demo_pre_unpatch, .post_unpatch = demo_post_unpatch, \
	}

static struct graft_func demo_no_funcs[] = {{0}};

#endif
