// SPDX-License-Identifier: MIT
// patch_service.c - replaces service_answer and service_busy in the program, and
// plug_answer in libattach-plug.so and ctor_answer in libattach-ctor.so (loaded later).
#include <graft/graft.h>

static int answer_patched(void)
{
	return 2;
}

static int busy_patched(void)
{
	return 2;
}

static int plug_patched(void)
{
	return 200;
}

static int ctor_patched(void)
{
	return 300;
}

static struct graft_func main_funcs[] = {
	{.old_name = "service_answer", .new_func = (void *)answer_patched},
	{.old_name = "service_busy", .new_func = (void *)busy_patched},
	{0}};
static struct graft_func plug_funcs[] = {
	{.old_name = "plug_answer", .new_func = (void *)plug_patched}, {0}};
static struct graft_func ctor_funcs[] = {
	{.old_name = "ctor_answer", .new_func = (void *)ctor_patched}, {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = main_funcs},
				     {.name = "libattach-plug.so", .funcs = plug_funcs},
				     {.name = "libattach-ctor.so", .funcs = ctor_funcs},
				     {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
