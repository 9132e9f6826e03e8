// SPDX-License-Identifier: MIT
// patch_busy.cpp - the livepatch of the busy story: busymod_work_func, cons_version and
// cons_pass (through which cons_inner's exception unwinds) get version 2.
#include <graft/graft.h>

#include <unistd.h>

#include "cons_funcs.hpp"

static int (*inner)(int);

static int busymod_work_func_v2(int fd)
{
	char c = 0;
	while (read(fd, &c, 1) > 0 && c != 'x') {
	}
	return 2;
}

static int cons_version_v2(void)
{
	return 2;
}

static int cons_pass_v2(int x)
{
	volatile int two = 2;
	return inner(x) + two; // not a tail call: the exception unwinds through here
}

static graft_func funcs[] = {{"busymod_work_func", (void *)busymod_work_func_v2, 0},
			     {"cons_version", (void *)cons_version_v2, 0},
			     {"cons_pass", (void *)cons_pass_v2, 0},
			     {}};
static graft_sym syms[] = {{"cons_inner", 0, (void **)&inner}, {}};
static graft_object objs[] = {{nullptr, funcs, {}, syms}, {}};
static graft_patch patch = {objs, 0};
GRAFT_PATCH(patch);
