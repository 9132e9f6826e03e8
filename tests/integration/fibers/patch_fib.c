// SPDX-License-Identifier: MIT
// patch_fib.c - f(x) = 3x, g(y) = y/3, h of the same shape (f, yield, g) calling them
// through their patched entries, and fib_park reporting version 2.
#include <graft/graft.h>

#include "fib_funcs.hpp"

static long (*f)(long);
static long (*g)(long);
static void (*yield)(void);
static void (*wait_here)(void);
static volatile long zero = 0;

static long fib_f_v2(long x)
{
	return x * 3 + zero;
}

static long fib_g_v2(long y)
{
	return y / 3 + zero;
}

static long fib_h_v2(long x)
{
	long y = f(x);
	yield();
	long r = g(y);
	return r + zero;
}

static int fib_park_v2(void)
{
	wait_here();
	return 2 + (int)zero;
}

static struct graft_func funcs[] = {{.old_name = "fib_f", .new_func = (void *)fib_f_v2},
				    {.old_name = "fib_g", .new_func = (void *)fib_g_v2},
				    {.old_name = "fib_h", .new_func = (void *)fib_h_v2},
				    {.old_name = "fib_park", .new_func = (void *)fib_park_v2},
				    {0}};
static struct graft_sym syms[] = {{.name = "fib_f", .addr = (void **)&f},
				  {.name = "fib_g", .addr = (void **)&g},
				  {.name = "fib_yield", .addr = (void **)&yield},
				  {.name = "fib_wait", .addr = (void **)&wait_here},
				  {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs, .syms = syms}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
