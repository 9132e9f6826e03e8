// SPDX-License-Identifier: MIT
// shadow-fix2.c - after the kernel's livepatch-shadow-fix2.c, stacked on shadow-fix1:
// dummy_check counts its calls in a second shadow variable <dummy, SV_COUNTER>, created
// lazily so dummies allocated before the patch get one too; dummy_free reports the count
// and frees both variables.
#include <stdbool.h>
#include <stdlib.h>

#include <graft/graft.h>

#include "dummy.h"

static void (*target_buffer_free)(void *p);

static bool livepatch_fix2_dummy_check(struct dummy *d, unsigned long now)
{
	/*
	 * Patch: handle in-flight dummy structures: if there is no SV_COUNTER shadow
	 * variable, allocate a new one (zeroed: no ctor needed).
	 */
	unsigned long *shadow_count =
		graft_shadow_get_or_alloc(d, SV_COUNTER, sizeof(*shadow_count), NULL, NULL);
	if (shadow_count)
		*shadow_count += 1;
	return now > d->expires;
}

static void livepatch_fix2_dummy_leak_dtor(void *obj, void *shadow_data)
{
	void **shadow_leak = shadow_data;
	target_buffer_free(*shadow_leak);
	graft_log("shadow-fix2: dummy @ %p, prevented leak @ %p", obj, *shadow_leak);
}

static void livepatch_fix2_dummy_free(struct dummy *d)
{
	/* Patch: copy of fix1's dummy_free, with the SV_COUNTER report. */
	if (graft_shadow_get(d, SV_LEAK))
		graft_shadow_free(d, SV_LEAK, livepatch_fix2_dummy_leak_dtor);
	else
		graft_log("shadow-fix2: dummy @ %p leaked!", (void *)d);

	unsigned long *shadow_count = graft_shadow_get(d, SV_COUNTER);
	if (shadow_count) {
		graft_log("shadow-fix2: dummy @ %p, check counter = %lu", (void *)d, *shadow_count);
		graft_shadow_free(d, SV_COUNTER, NULL);
	}
	free(d);
}

// The counters belong to this patch: free them when it is disabled.
static void fix2_post_unpatch(struct graft_object *obj)
{
	(void)obj;
	graft_shadow_free_all(SV_COUNTER, NULL);
}

static struct graft_func funcs[] = {
	{.old_name = "dummy_check", .new_func = (void *)livepatch_fix2_dummy_check},
	{.old_name = "dummy_free", .new_func = (void *)livepatch_fix2_dummy_free},
	{0}};
static struct graft_sym syms[] = {{.name = "buffer_free", .addr = (void **)&target_buffer_free},
				  {0}};
static struct graft_object objs[] = {{.name = NULL,
				      .funcs = funcs,
				      .callbacks = {.post_unpatch = fix2_post_unpatch},
				      .syms = syms},
				     {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
