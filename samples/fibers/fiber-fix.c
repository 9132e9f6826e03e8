// SPDX-License-Identifier: MIT
// fiber-fix.c - order_total() with the shipping fee once. Session 0 is parked inside the
// old order_total(): the transition waits for it (graft status names the fiber) and
// completes once its payment is confirmed and it has left the old code.
#include <graft/graft.h>

static void (*wait_for_payment)(void);

static long order_total_fixed(int session, int n)
{
	long total = 250L * n + 500;
	if (session == 0)
		wait_for_payment();
	return total;
}

static struct graft_func funcs[] = {
	{.old_name = "order_total", .new_func = (void *)order_total_fixed}, {0}};
static struct graft_sym syms[] = {{.name = "wait_for_payment", .addr = (void **)&wait_for_payment},
				  {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs, .syms = syms}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
