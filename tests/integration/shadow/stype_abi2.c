/* SPDX-License-Identifier: MIT */
/* stype_abi2.c - a patch module of ABI version 2: its graft_object and graft_state
 * arrays have version 2's element sizes (56 and 24 bytes, no shadow fields). A runtime
 * that stepped through them with version 3's sizes would read the second object and the
 * second state from the middle of an entry. Two of each, so the step matters. */
#include <graft/graft.h>

#include "stype.h"

static int abi2_peek(struct rec *r)
{
	(void)r;
	return 7;
}

static int abi2_lib_touch(struct rec *r)
{
	(void)r;
	return 5;
}

/* The version 2 layouts. */
struct object_v2 {
	const char *name;
	struct graft_func *funcs;
	struct graft_callbacks callbacks;
	struct graft_sym *syms;
};
struct state_v2 {
	unsigned long id;
	unsigned int version;
	void *data;
};
struct patch_v2 {
	struct object_v2 *objs;
	int replace;
	struct state_v2 *states;
};

static struct patch_v2 patch;

static void abi2_post_patch(struct graft_object *obj)
{
	(void)obj;
	struct graft_state *mine = graft_get_state(NULL, 0x9b);
	struct graft_state *by_patch = graft_get_state((struct graft_patch *)&patch, 0x9b);
	graft_log("stype-abi2: state 9b version %u / %u", mine ? mine->version : 0,
		  by_patch ? by_patch->version : 0);
}

static struct graft_func exe_funcs[] = {{.old_name = "rec_peek", .new_func = (void *)abi2_peek},
					{0}};
static struct graft_func lib_funcs[] = {
	{.old_name = "lib_touch", .new_func = (void *)abi2_lib_touch}, {0}};

static struct object_v2 objs[] = {
	{.name = NULL, .funcs = exe_funcs, .callbacks = {.post_patch = abi2_post_patch}},
	{.name = "libstype_lib.so", .funcs = lib_funcs},
	{0}};
static struct state_v2 states[] = {{.id = 0x9a, .version = 1}, {.id = 0x9b, .version = 2}, {0}};
static struct patch_v2 patch = {objs, 0, states};

__attribute__((visibility("default"), used))
const struct graft_patch_export graft_patch_export = {2, (struct graft_patch *)&patch};
