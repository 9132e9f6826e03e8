// SPDX-License-Identifier: MIT
// shadow-fix1.c - after the kernel's livepatch-shadow-fix1.c: dummy_alloc keeps the
// buffer it used to leak in a shadow variable <dummy, SV_LEAK>, and dummy_free frees it
// with the record. Dummies allocated before the patch have no shadow variable and keep
// leaking (there is nothing to find their buffer by).
#include <stdlib.h>

#include <graft/graft.h>

#include "dummy.h"

// The target's own functions and data, resolved by the runtime (graft_sym).
static void *(*target_buffer_alloc)(size_t size);
static void (*target_buffer_free)(void *p);
static unsigned long *target_clock_ticks;

// Fills the new variable before it becomes visible: it holds the buffer's address.
static int shadow_leak_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	void **shadow_leak = shadow_data;
	*shadow_leak = ctor_data;
	return 0;
}

static struct dummy *livepatch_fix1_dummy_alloc(void)
{
	struct dummy *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->expires = *target_clock_ticks + DUMMY_LIFETIME;

	/* Patch: save the extra memory location into a SV_LEAK shadow variable. */
	void *leak = target_buffer_alloc(sizeof(int));
	if (!leak) {
		free(d);
		return NULL;
	}
	if (!graft_shadow_alloc(d, SV_LEAK, sizeof(leak), shadow_leak_ctor, leak)) {
		target_buffer_free(leak);
		free(d);
		return NULL;
	}
	return d;
}

static void livepatch_fix1_dummy_leak_dtor(void *obj, void *shadow_data)
{
	void **shadow_leak = shadow_data;
	target_buffer_free(*shadow_leak);
	graft_log("shadow-fix1: dummy @ %p, prevented leak @ %p", obj, *shadow_leak);
}

static void livepatch_fix1_dummy_free(struct dummy *d)
{
	/* Patch: fetch the saved SV_LEAK shadow variable, free it with the dummy. */
	graft_shadow_free(d, SV_LEAK, livepatch_fix1_dummy_leak_dtor);
	free(d);
}

// The kernel frees its variables in module_exit; here the patch's post-unpatch
// callback does it (it runs only when the patch is really disabled): the buffers of
// dummies still alive are freed, the original dummy_free will not look for them.
static void fix1_post_unpatch(struct graft_object *obj)
{
	(void)obj;
	graft_shadow_free_all(SV_LEAK, livepatch_fix1_dummy_leak_dtor);
}

static struct graft_func funcs[] = {
	{.old_name = "dummy_alloc", .new_func = (void *)livepatch_fix1_dummy_alloc},
	{.old_name = "dummy_free", .new_func = (void *)livepatch_fix1_dummy_free},
	{0}};
static struct graft_sym syms[] = {{.name = "buffer_alloc", .addr = (void **)&target_buffer_alloc},
				  {.name = "buffer_free", .addr = (void **)&target_buffer_free},
				  {.name = "clock_ticks", .addr = (void **)&target_clock_ticks},
				  {0}};
static struct graft_object objs[] = {{.name = NULL,
				      .funcs = funcs,
				      .callbacks = {.post_unpatch = fix1_post_unpatch},
				      .syms = syms},
				     {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
