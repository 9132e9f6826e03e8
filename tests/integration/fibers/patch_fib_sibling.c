/* SPDX-License-Identifier: MIT */
/* patch_fib_sibling.c - enc(x) = 3x, dec(y) = y/3 for both copies of the sibling-call
 * fiber codec, and run of the same shape (its last call a sibling call again). */
#include <graft/graft.h>

static long (*enc)(long), (*dec)(long), (*enc_pfe)(long), (*dec_pfe)(long);
static void (*yield)(void);
static volatile long zero = 0;

static long enc_v2(long x)
{
	return x * 3 + zero;
}

static long dec_v2(long y)
{
	return y / 3 + zero;
}

static long run_v2(long x)
{
	long y = enc(x);
	yield();
	return dec(y);
}

static long run_pfe_v2(long x)
{
	long y = enc_pfe(x);
	yield();
	return dec_pfe(y);
}

static struct graft_func funcs[] = {{.old_name = "fib_senc", .new_func = (void *)enc_v2},
				    {.old_name = "fib_sdec", .new_func = (void *)dec_v2},
				    {.old_name = "fib_srun", .new_func = (void *)run_v2},
				    {.old_name = "fib_senc_pfe", .new_func = (void *)enc_v2},
				    {.old_name = "fib_sdec_pfe", .new_func = (void *)dec_v2},
				    {.old_name = "fib_srun_pfe", .new_func = (void *)run_pfe_v2},
				    {0}};
static struct graft_sym syms[] = {{.name = "fib_senc", .addr = (void **)&enc},
				  {.name = "fib_sdec", .addr = (void **)&dec},
				  {.name = "fib_senc_pfe", .addr = (void **)&enc_pfe},
				  {.name = "fib_sdec_pfe", .addr = (void **)&dec_pfe},
				  {.name = "fib_yield", .addr = (void **)&yield},
				  {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs, .syms = syms}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
