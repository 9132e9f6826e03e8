/* SPDX-License-Identifier: MIT */
/* patch_sib_block.c - sib_block, sib_version, sib_fna, sib_fnb and sib_fnc, version 2. */
#include <graft/graft.h>

#include "sib_funcs.h"

static volatile int two = 2;
static void (*sleep_here)(void);
static volatile int *seen;

static int version_v2(void)
{
	return two;
}

static int block_v2(void)
{
	sleep_here();
	return *seen;
}

static int (*fnc)(void);
static void (*wait_contract)(void);

static int fnc_v2(void)
{
	return two;
}

static int fna_v2(void)
{
	wait_contract();
	return fnc();
}

static int fnb_v2(void)
{
	return two;
}

static struct graft_func funcs[] = {{.old_name = "sib_fna", .new_func = (void *)fna_v2},
				    {.old_name = "sib_fnb", .new_func = (void *)fnb_v2},
				    {.old_name = "sib_fnc", .new_func = (void *)fnc_v2},
				    {.old_name = "sib_block", .new_func = (void *)block_v2},
				    {.old_name = "sib_version", .new_func = (void *)version_v2},
				    {0}};
static struct graft_sym syms[] = {{.name = "sib_sleep", .addr = (void **)&sleep_here},
				  {.name = "sib_seen", .addr = (void **)&seen},
				  {.name = "sib_fnc", .addr = (void **)&fnc},
				  {.name = "sib_wait_contract", .addr = (void **)&wait_contract},
				  {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs, .syms = syms}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
