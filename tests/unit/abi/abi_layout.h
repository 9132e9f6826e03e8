/* SPDX-License-Identifier: MIT */
/* abi_layout.h - pins the layout of <graft/graft.h> (x86-64 LP64), checked in C99, C++11 and C++20. */
#ifndef GRAFT_TEST_ABI_LAYOUT_H
#define GRAFT_TEST_ABI_LAYOUT_H

#include <graft/graft.h>
#include <stddef.h>

/*
 * The ABI is append-only: an offset below never changes. A size changes only when a
 * field is appended, and since funcs, objs and syms are arrays their element size is
 * part of the ABI too: appending to one of those structs needs a new GRAFT_ABI_VERSION.
 * Update the sizes here in the same change.
 */
#ifdef __cplusplus
#define ABI_ASSERT(cond, tag) static_assert(cond, #tag)
#else
/* C99 has no _Static_assert: a negative array size fails the build instead. */
#define ABI_ASSERT(cond, tag) typedef char abi_assert_##tag[(cond) ? 1 : -1]
#endif

ABI_ASSERT(GRAFT_ABI_VERSION == 3 && GRAFT_ABI_VERSION_MIN == 1, abi_version);
ABI_ASSERT(GRAFT_OBJECT_LIVE == 0 && GRAFT_OBJECT_COMING == 1 && GRAFT_OBJECT_GOING == 2,
	   object_states);
ABI_ASSERT(sizeof(enum graft_object_state) == 4, object_state_size);

ABI_ASSERT(offsetof(struct graft_callbacks, pre_patch) == 0, cb_pre_patch);
ABI_ASSERT(offsetof(struct graft_callbacks, post_patch) == 8, cb_post_patch);
ABI_ASSERT(offsetof(struct graft_callbacks, pre_unpatch) == 16, cb_pre_unpatch);
ABI_ASSERT(offsetof(struct graft_callbacks, post_unpatch) == 24, cb_post_unpatch);
ABI_ASSERT(sizeof(struct graft_callbacks) == 32, cb_size);

ABI_ASSERT(offsetof(struct graft_func, old_name) == 0, func_old_name);
ABI_ASSERT(offsetof(struct graft_func, new_func) == 8, func_new_func);
ABI_ASSERT(offsetof(struct graft_func, old_sympos) == 16, func_old_sympos);
ABI_ASSERT(sizeof(struct graft_func) == 24, func_size);

ABI_ASSERT(offsetof(struct graft_sym, name) == 0, sym_name);
ABI_ASSERT(offsetof(struct graft_sym, sympos) == 8, sym_sympos);
ABI_ASSERT(offsetof(struct graft_sym, addr) == 16, sym_addr);
ABI_ASSERT(sizeof(struct graft_sym) == 24, sym_size);

ABI_ASSERT(offsetof(struct graft_object, name) == 0, obj_name);
ABI_ASSERT(offsetof(struct graft_object, funcs) == 8, obj_funcs);
ABI_ASSERT(offsetof(struct graft_object, callbacks) == 16, obj_callbacks);
ABI_ASSERT(offsetof(struct graft_object, syms) == 48, obj_syms);
ABI_ASSERT(offsetof(struct graft_object, shadow_types) == 56, obj_shadow_types);
ABI_ASSERT(offsetof(struct graft_object, build_id) == 64, obj_build_id);
ABI_ASSERT(sizeof(struct graft_object) == 72, obj_size);

ABI_ASSERT(offsetof(struct graft_patch, objs) == 0, patch_objs);
ABI_ASSERT(offsetof(struct graft_patch, replace) == 8, patch_replace);
ABI_ASSERT(offsetof(struct graft_patch, states) == 16, patch_states);
ABI_ASSERT(sizeof(struct graft_patch) == 24, patch_size);

ABI_ASSERT(offsetof(struct graft_state, id) == 0, state_id);
ABI_ASSERT(offsetof(struct graft_state, version) == 8, state_version);
ABI_ASSERT(offsetof(struct graft_state, data) == 16, state_data);
ABI_ASSERT(offsetof(struct graft_state, shadow_type) == 24, state_shadow_type);
ABI_ASSERT(sizeof(struct graft_state) == 32, state_size);

ABI_ASSERT(offsetof(struct graft_shadow_type, id) == 0, shadow_type_id);
ABI_ASSERT(offsetof(struct graft_shadow_type, ctor) == 8, shadow_type_ctor);
ABI_ASSERT(offsetof(struct graft_shadow_type, dtor) == 16, shadow_type_dtor);
ABI_ASSERT(sizeof(struct graft_shadow_type) == 24, shadow_type_size);

ABI_ASSERT(offsetof(struct graft_patch_export, abi_version) == 0, export_abi_version);
ABI_ASSERT(offsetof(struct graft_patch_export, patch) == 8, export_patch);
ABI_ASSERT(sizeof(struct graft_patch_export) == 16, export_size);

#endif /* GRAFT_TEST_ABI_LAYOUT_H */
