// SPDX-License-Identifier: MIT
// patch_call.c - replaces the call-cost benchmark's three functions (the replacement of
// bench_tr_target returns 2, so the loop can tell which version it ran).
#include <graft/graft.h>

#include <unistd.h>

static volatile int two = 2;

static int target_v2(void)
{
	return two;
}

static int outer_v2(void (*body)(void *), void *arg)
{
	body(arg);
	return two;
}

static int hold_v2(int fd)
{
	char c;
	return read(fd, &c, 1) < 0 ? -1 : two;
}

static int busy_v2(void)
{
	return two;
}

static struct graft_func funcs[] = {{.old_name = "bench_tr_busy", .new_func = (void *)busy_v2},
				    {.old_name = "bench_tr_target", .new_func = (void *)target_v2},
				    {.old_name = "bench_tr_outer", .new_func = (void *)outer_v2},
				    {.old_name = "bench_tr_hold", .new_func = (void *)hold_v2},
				    {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
