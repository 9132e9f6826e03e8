// SPDX-License-Identifier: MIT
// patch_codec.c - a new encoding: f(x) = 3x, g(y) = y/3, and h of the same shape as the
// original (f, pause, g), calling f and g through their patched entries.
#include <graft/graft.h>

static long (*f)(long);
static long (*g)(long);
static void (*spin)(void);
static volatile long zero = 0;

static long codec_f_v2(long x)
{
	return x * 3 + zero;
}

static long codec_g_v2(long y)
{
	return y / 3 + zero;
}

static long codec_h_v2(long x)
{
	long y = f(x);
	spin();
	long r = g(y);
	return r + zero;
}

static struct graft_func funcs[] = {{.old_name = "codec_f", .new_func = (void *)codec_f_v2},
				    {.old_name = "codec_g", .new_func = (void *)codec_g_v2},
				    {.old_name = "codec_h", .new_func = (void *)codec_h_v2},
				    {0}};
static struct graft_sym syms[] = {{.name = "codec_f", .addr = (void **)&f},
				  {.name = "codec_g", .addr = (void **)&g},
				  {.name = "codec_spin", .addr = (void **)&spin},
				  {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs, .syms = syms}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
