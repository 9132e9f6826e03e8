/* SPDX-License-Identifier: MIT */
/* livepatch-function.c - one function of callbacks-target replaced by an answer that
 * names the patch: built as livepatch-cmdline.so (the kernel's test_klp_livepatch),
 * livepatch-uptime.so (a stand-in for test_klp_syscall), and livepatch-meminfo.so and
 * livepatch-meminfo-replace.so (test_klp_atomic_replace with replace=0 and replace=1).
 * PATCH_NAME, PATCHED_FUNC and REPLACE come from CMake. */
#include <graft/graft.h>

static const char *patched(void)
{
	return PATCH_NAME ": this has been live patched";
}

static struct graft_func funcs[] = {
	{.old_name = PATCHED_FUNC, .new_func = (void *)patched},
	{0},
};

static struct graft_object objs[] = {
	{.name = NULL, .funcs = funcs},
	{0},
};

static struct graft_patch patch = {.objs = objs, .replace = REPLACE};

GRAFT_PATCH(patch);
