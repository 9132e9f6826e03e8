/* SPDX-License-Identifier: MIT */
/* fix.c - a patch module of ABI version 3 for libtrusttgt.so.1 of build-id TGT_ID:
 * replaces tgt_version (answers "fixed") and tgt_hold (same behaviour). */
#include <graft/graft.h>
#include <unistd.h>

static const char *fixed_version(void)
{
	return "fixed";
}

static int fixed_hold(int fd)
{
	char c;
	return (int)read(fd, &c, 1);
}

static struct graft_func funcs[] = {{.old_name = "tgt_version", .new_func = (void *)fixed_version},
				    {.old_name = "tgt_hold", .new_func = (void *)fixed_hold},
				    {0}};

static struct graft_object objs[] = {
	{.name = "libtrusttgt.so.1", .funcs = funcs, .build_id = TGT_ID}, {0}};

static struct graft_patch patch = {.objs = objs};

GRAFT_PATCH(patch);

#ifdef PAD_BYTES
/* The benchmark's larger modules (tests/bench/trust): bytes to hash and verify. */
__attribute__((used)) static const char pad[PAD_BYTES] = {1};
#endif
