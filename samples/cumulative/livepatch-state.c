/* SPDX-License-Identifier: MIT */
/* livepatch-state.c - the kernel's test_klp_state{,2,3}: a cumulative patch that changes a
 * system state (callbacks-target's console_loglevel) and records it as state 1. Version 1
 * (livepatch-state.so) always does the change itself; version 2 (livepatch-state2.so and
 * its copy livepatch-state3.so, STATE_VERSION=2) takes the change over from an installed
 * patch that made it (graft_get_prev_state), and hands it back on a reversal.
 * livepatch-state2-busy.so (STATE_BUSY) also replaces busymod_work_func() in
 * libcallbacks_busy.so, so that a busy worker can stall its transition (for the reversal
 * that hands the state back, which no kernel selftest reaches).
 * PATCH_NAME and STATE_VERSION come from CMake. */
#include <errno.h>
#include <stdlib.h>

#include <graft/graft.h>

#define CONSOLE_LOGLEVEL_STATE 1
#define CONSOLE_LOGLEVEL_MOTORMOUTH 15

static int *console_loglevel; /* callbacks-target's, through a graft_sym cell */
static struct graft_patch patch;

static struct graft_state *loglevel_state(void)
{
	return graft_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
}

static void callback_info(const char *callback, struct graft_object *obj)
{
	graft_log("%s: %s: %s", PATCH_NAME, callback, graft_object_name(obj));
}

static int allocate_loglevel_state(void)
{
	struct graft_state *state = loglevel_state();
	if (!state)
		return -EINVAL;
	if (STATE_VERSION >= 2 && graft_get_prev_state(CONSOLE_LOGLEVEL_STATE)) {
		graft_log("%s: %s: space to store console_loglevel already allocated", PATCH_NAME,
			  __func__);
		return 0;
	}
	state->data = calloc(1, sizeof(int));
	if (!state->data)
		return -ENOMEM;
	graft_log("%s: %s: allocating space to store console_loglevel", PATCH_NAME, __func__);
	return 0;
}

static void fix_console_loglevel(void)
{
	struct graft_state *state = loglevel_state(), *prev;
	if (!state)
		return;
	prev = STATE_VERSION >= 2 ? graft_get_prev_state(CONSOLE_LOGLEVEL_STATE) : NULL;
	if (prev) {
		graft_log("%s: %s: taking over the console_loglevel change", PATCH_NAME, __func__);
		state->data = prev->data;
		return;
	}
	graft_log("%s: %s: fixing console_loglevel", PATCH_NAME, __func__);
	*(int *)state->data = *console_loglevel;
	*console_loglevel = CONSOLE_LOGLEVEL_MOTORMOUTH;
}

static void restore_console_loglevel(void)
{
	struct graft_state *state = loglevel_state();
	if (!state)
		return;
	graft_log("%s: %s: restoring console_loglevel", PATCH_NAME, __func__);
	*console_loglevel = *(int *)state->data;
}

static void free_loglevel_state(void)
{
	struct graft_state *state = loglevel_state();
	if (!state)
		return;
	if (STATE_VERSION >= 2 && graft_get_prev_state(CONSOLE_LOGLEVEL_STATE)) {
		graft_log("%s: %s: passing the console_loglevel change back to the old livepatch",
			  PATCH_NAME, __func__);
		return;
	}
	graft_log("%s: %s: freeing space for the stored console_loglevel", PATCH_NAME, __func__);
	free(state->data);
	state->data = NULL;
}

static int pre_patch_callback(struct graft_object *obj)
{
	callback_info(__func__, obj);
	return allocate_loglevel_state();
}

static void post_patch_callback(struct graft_object *obj)
{
	callback_info(__func__, obj);
	fix_console_loglevel();
}

static void pre_unpatch_callback(struct graft_object *obj)
{
	callback_info(__func__, obj);
	restore_console_loglevel();
}

static void post_unpatch_callback(struct graft_object *obj)
{
	callback_info(__func__, obj);
	free_loglevel_state();
}

static struct graft_func no_funcs[] = {{0}};

#ifdef STATE_BUSY
static void patched_work_func(void)
{
	graft_log("%s: %s", PATCH_NAME, __func__);
}

static struct graft_func busy_funcs[] = {
	{.old_name = "busymod_work_func", .new_func = (void *)patched_work_func},
	{0},
};
#endif

static struct graft_sym syms[] = {
	{.name = "console_loglevel", .addr = (void **)&console_loglevel},
	{0},
};

static struct graft_object objs[] = {
	{
		.name = NULL,
		.funcs = no_funcs,
		.callbacks = {.pre_patch = pre_patch_callback,
			      .post_patch = post_patch_callback,
			      .pre_unpatch = pre_unpatch_callback,
			      .post_unpatch = post_unpatch_callback},
		.syms = syms,
	},
#ifdef STATE_BUSY
	{.name = "libcallbacks_busy.so", .funcs = busy_funcs},
#endif
	{0},
};

static struct graft_state states[] = {
	{.id = CONSOLE_LOGLEVEL_STATE, .version = STATE_VERSION},
	{0},
};

static struct graft_patch patch = {.objs = objs, .replace = 1, .states = states};

GRAFT_PATCH(patch);
