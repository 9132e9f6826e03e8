// SPDX-License-Identifier: MIT
/*
 * graft_audit.c - libgraft-audit.so, the rtld-audit module `graft run` sets in LD_AUDIT.
 *
 * The dynamic loader tells an audit module the two moments kernel livepatch patches and
 * reverts a module at (measured in shared/research/loader-events.md):
 *   - la_activity(LA_ACT_CONSISTENT) after LA_ACT_ADD: the new objects are mapped and
 *     relocated, their constructors have not run (the kernel's MODULE_STATE_COMING);
 *   - la_objclose: an object's destructors ran, its memory is still mapped (GOING).
 *
 * This module lives in its own link namespace with its own libc, so it stays tiny and
 * only hands the events to libgraft.so in the base namespace: libgraft finds
 * graft_audit_attach() through _r_debug's namespace list and gives it its handlers.
 * Until then events are dropped (libgraft treats what is loaded when it starts as the
 * initial state). Every la_* callback runs with the loader's lock held, which
 * serialises them: the state below needs no lock of its own. Handlers must not call
 * into the loader (dlopen, dlsym) - it is not reentrant here.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* Must match runtime/src/loader/audit.hpp. */
struct graft_audit_ops {
	unsigned int version;
	void (*coming)(struct link_map **maps, unsigned int n);
	void (*going)(struct link_map *map);
};

#define GRAFT_AUDIT_OPS_VERSION 1u
/* Objects one dlopen may bring in at once; more are not reported (and not patched). */
#define MAX_PENDING 256

/* Set once by libgraft's constructor, outside the loader's lock: published with a
 * release store that pairs with the acquire loads in the callbacks, so a callback that
 * sees the pointer sees the handlers it points to. */
static const struct graft_audit_ops *ops;
static struct link_map *pending[MAX_PENDING];
static unsigned int npending;
static int adding;

__attribute__((visibility("default"))) int graft_audit_attach(const struct graft_audit_ops *o)
{
	if (!o || o->version != GRAFT_AUDIT_OPS_VERSION)
		return -1;
	__atomic_store_n(&ops, o, __ATOMIC_RELEASE);
	return 0;
}

__attribute__((visibility("default"))) unsigned int la_version(unsigned int version)
{
	return version < LAV_CURRENT ? version : LAV_CURRENT;
}

__attribute__((visibility("default"))) unsigned int la_objopen(struct link_map *map, Lmid_t lmid,
							       uintptr_t *cookie)
{
	/* Only the program's own namespace: ours (and other auditors') are not patched. */
	if (lmid != LM_ID_BASE) {
		*cookie = 0;
		return 0;
	}
	*cookie = (uintptr_t)map;
	if (npending < MAX_PENDING)
		pending[npending++] = map;
	return 0;
}

__attribute__((visibility("default"))) void la_activity(uintptr_t *cookie, unsigned int flag)
{
	(void)cookie;
	if (flag == LA_ACT_ADD) {
		adding = 1;
		npending = 0;
		return;
	}
	if (flag != LA_ACT_CONSISTENT || !adding)
		return;
	adding = 0;
	const struct graft_audit_ops *o = __atomic_load_n(&ops, __ATOMIC_ACQUIRE);
	if (o && npending)
		o->coming(pending, npending);
	npending = 0;
}

__attribute__((visibility("default"))) unsigned int la_objclose(uintptr_t *cookie)
{
	const struct graft_audit_ops *o = __atomic_load_n(&ops, __ATOMIC_ACQUIRE);
	if (o && *cookie)
		o->going((struct link_map *)*cookie);
	return 0;
}
