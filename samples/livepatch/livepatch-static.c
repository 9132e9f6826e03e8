/* SPDX-License-Identifier: MIT */
/* livepatch-static.c - replaces the static version_show() of livepatch-target, found in its .symtab. */
#include <graft/graft.h>

static const char *livepatch_version_show(void)
{
	return "this static function has been live patched";
}

static struct graft_func funcs[] = {
	{
		/* static: no caller outside its file, and only .symtab names it. The
		 * name is unique in livepatch-target; were it not, old_sympos = N would
		 * pick the Nth "version_show" in .symtab order. */
		.old_name = "version_show",
		.new_func = (void *)livepatch_version_show,
		.old_sympos = 0,
	},
	{0}};

static struct graft_object objs[] = {{
					     .funcs = funcs,
				     },
				     {0}};

static struct graft_patch patch = {
	.objs = objs,
};

GRAFT_PATCH(patch);
