/* SPDX-License-Identifier: MIT */
/* patch_abi1.c - a patch module of ABI version 1, whose struct graft_patch ends at
 * replace. What follows it here is a poisoned "states" pointer: a runtime that read
 * states from a version 1 module would crash on it. Its objects have the version 1
 * size (no shadow_types): a runtime that stepped through them with version 3's size
 * would miss the terminating entry. */
#include <graft/graft.h>

static const char *patched(void)
{
	return "itest-abi1: this has been live patched";
}

static struct graft_func funcs[] = {
	{.old_name = "cmdline_show", .new_func = (void *)patched},
	{0},
};

/* The version 1 graft_object. */
static struct {
	const char *name;
	struct graft_func *funcs;
	struct graft_callbacks callbacks;
	struct graft_sym *syms;
} objs[] = {{.name = NULL, .funcs = funcs}, {0}};

/* The version 1 layout, then the poison where version 2 has states. */
static struct {
	struct graft_object *objs;
	int replace;
	void *poison;
} patch_v1 = {(struct graft_object *)objs, 0, (void *)1};

__attribute__((visibility("default"), used))
const struct graft_patch_export graft_patch_export = {1, (struct graft_patch *)&patch_v1};
