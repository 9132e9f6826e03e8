/* SPDX-License-Identifier: MIT */
/* bench_module.c - a patch module with an empty replacement for a function of the
 * benchmark's executable (bench_redirect's BM_module_*): built twice, one copy loaded by
 * a plain dlopen (far from the executable: the stub path), one placed near it by the
 * runtime (direct mode). */
#include <graft/graft.h>

__attribute__((visibility("default"))) void bench_module_empty(void) {}

static struct graft_func funcs[] = {
	{.old_name = "bench_module_target", .new_func = (void *)bench_module_empty}, {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
