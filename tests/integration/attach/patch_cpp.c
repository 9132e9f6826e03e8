// SPDX-License-Identifier: MIT
// patch_cpp.c - replaces the virtual Greeter::answer of cpp_service.
#include <graft/graft.h>

static int answer_patched(void *self)
{
	(void)self;
	return 2;
}

static struct graft_func funcs[] = {
	{.old_name = "_ZN7Greeter6answerEv", .new_func = (void *)answer_patched}, {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
