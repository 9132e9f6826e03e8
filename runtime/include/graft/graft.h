/* SPDX-License-Identifier: MIT */
/*
 * graft.h - the patch module ABI of graft, the live patcher for running processes.
 *
 * A patch module is a shared object that describes, with the structures below, which
 * functions of which objects (the main executable or a shared library) it replaces.
 * It mirrors the kernel's struct klp_patch / klp_object / klp_func, so kernel samples
 * port almost line by line.
 *
 * IMPORTANT: these structures are part of the ABI between patch modules and
 * libgraft.so. Fields are only ever appended, never reordered or removed; the module
 * exports GRAFT_ABI_VERSION with its patch so the runtime can refuse what it does not
 * understand. Arrays end with a zeroed entry.
 *
 * This header is C99 and C++ compatible.
 */
#ifndef GRAFT_GRAFT_H
#define GRAFT_GRAFT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 2: struct graft_state and graft_patch.states appended (system states). The runtime
 * still accepts version 1 modules, whose graft_patch ends at replace.
 * 3: graft_object.shadow_types, graft_object.build_id and graft_state.shadow_type
 * appended (shadow variable types, freed when their last user goes; the build-id of the
 * object a patch was made for). graft_object and graft_state are array elements: the
 * runtime steps through a version 1 or 2 module's arrays with their version 2 sizes and
 * never reads the fields appended since.
 */
#define GRAFT_ABI_VERSION 3
#define GRAFT_ABI_VERSION_MIN 1

#if defined(GRAFT_BUILDING_RUNTIME)
#define GRAFT_API __attribute__((visibility("default")))
#elif defined(GRAFT_FIX_SOURCE)
/* A fix's source compiled into the program itself (graft-patchgen's builds): the
 * program does not link libgraft.so; the module's calls bind to it when it loads. */
#define GRAFT_API __attribute__((weak))
#else
#define GRAFT_API
#endif

/* Where an object stands while a callback runs (the kernel's MODULE_STATE_*). */
enum graft_object_state {
	GRAFT_OBJECT_LIVE,   /* loaded and running: enable/disable of a patch */
	GRAFT_OBJECT_COMING, /* a library being loaded while the patch is enabled */
	GRAFT_OBJECT_GOING   /* a library being unloaded while the patch is enabled */
};

struct graft_object;

/* Shadow variable constructor and destructor (see the shadow variable calls below). */
typedef int (*graft_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*graft_shadow_dtor_t)(void *obj, void *shadow_data);

/*
 * struct graft_shadow_type - a kind of shadow variable whose lifetime graft manages (the
 * kernel's proposed klp_shadow_type). Listed in graft_object.shadow_types (or bound to
 * a state by graft_state.shadow_type), it is registered while an object or state uses
 * it; when the last user of its id goes, every variable of that id is freed with dtor.
 * @id:   the shadow variables' id (nonzero), shared by every type with that id.
 * @ctor: optional; runs on new data before it becomes visible (the typed alloc calls).
 * @dtor: optional; runs on each variable freed, by the typed free calls and when the
 *        last user goes.
 */
struct graft_shadow_type {
	unsigned long id;
	graft_shadow_ctor_t ctor;
	graft_shadow_dtor_t dtor;
};

/*
 * struct graft_callbacks - run by the runtime around (un)patching an object.
 * @pre_patch:    before the object is patched; return 0, or -errno to veto the enable
 *                (or the library's load).
 * @post_patch:   after the patching transition completes.
 * @pre_unpatch:  before the unpatching transition starts.
 * @post_unpatch: after the object is unpatched.
 * pre_patch/post_unpatch and post_patch/pre_unpatch are pairs: an unpatch callback runs
 * only if its partner ran. Callbacks run on the runtime's control thread.
 */
struct graft_callbacks {
	int (*pre_patch)(struct graft_object *obj);
	void (*post_patch)(struct graft_object *obj);
	void (*pre_unpatch)(struct graft_object *obj);
	void (*post_unpatch)(struct graft_object *obj);
};

/*
 * struct graft_func - one function replaced by the patch.
 * @old_name:   the function's symbol name in the target object (mangled for C++).
 * @new_func:   its replacement, in the patch module.
 * @old_sympos: which symbol of that name, by one rule shared by the runtime and
 *              graft-patchgen: 0 when the name is unique among the defined symbols of
 *              the object's .symtab (.dynsym when the object is stripped); else N, the
 *              1-based position among the symbols of that name in table order. The same
 *              name at the same address more than once (an alias) counts once.
 */
struct graft_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
};

/*
 * struct graft_sym - a target symbol the patch code uses (static data, static
 * functions). The runtime stores the symbol's address in *addr before pre_patch.
 * @sympos: as graft_func.old_sympos.
 */
struct graft_sym {
	const char *name;
	unsigned long sympos;
	void **addr;
};

/*
 * struct graft_object - the functions replaced in one object.
 * @name:      NULL: the main executable; else a shared library, matched by file name
 *             or soname, e.g. "libcallbacks_mod.so".
 * @funcs:     replaced functions, ended by a zeroed entry.
 * @callbacks: optional (un)patch callbacks.
 * @syms:      symbols to resolve for the patch code, ended by a zeroed entry; may be NULL.
 * @shadow_types: the shadow variable types the patch code uses for this object, ended by
 *             NULL; may be NULL (ABI version 3). Registered before pre_patch when the
 *             object is patched (enable, or the library loading); unregistered after
 *             post_unpatch (disable, the library unloading) or when a replace patch's
 *             transition completes. See docs/shadow-variables.md.
 * @build_id:  (ABI version 3) the GNU build-id of the object the patch was built for, as
 *             lowercase hex (what `readelf -n` prints after "Build ID:"), or NULL (or
 *             ""): matched by name only. When set, the runtime refuses the patch for a
 *             loaded object of that name whose build-id, read from its PT_NOTE in
 *             memory, differs; the patch store files the module under it.
 */
struct graft_object {
	const char *name;
	struct graft_func *funcs;
	struct graft_callbacks callbacks;
	struct graft_sym *syms;
	const struct graft_shadow_type *const *shadow_types;
	const char *build_id;
};

/*
 * struct graft_state - a modification of the program's state that the patch makes or
 * takes over (the kernel's struct klp_state), for handing it between patch versions.
 * @id:      nonzero identifier of the modification, chosen by the patch author.
 * @version: the variant of the modification this patch handles. A patch is refused
 *           while an installed patch carries the same id at a higher version; a
 *           replace patch must carry every id installed patches carry.
 * @data:    the patch's own pointer (e.g. to what it saved to undo the change).
 * @shadow_type: optional (ABI version 3), of the state's id: its shadow variables live
 *           exactly as long as the state. Kept across a replace whose patch carries the
 *           state with a shadow_type; freed with its dtor when a disable, or a replace
 *           patch without it, removes it (such a replace is allowed: graft undoes the
 *           state).
 */
struct graft_state {
	unsigned long id;
	unsigned int version;
	void *data;
	const struct graft_shadow_type *shadow_type;
};

/*
 * struct graft_patch - the patch: its objects, ended by an entry whose funcs is NULL.
 * @replace: nonzero: atomic replace (cumulative patch). Enabling it replaces every
 *           enabled patch in one transition: functions they patched and this one does
 *           not go back to their original code; when the transition completes they are
 *           disabled without their callbacks and can be unloaded.
 * @states:  the system states it handles, ended by an entry whose id is 0; may be NULL
 *           (ABI version 2).
 */
struct graft_patch {
	struct graft_object *objs;
	int replace;
	struct graft_state *states;
};

/* What GRAFT_PATCH exports: the runtime looks it up under GRAFT_PATCH_SYMBOL. */
struct graft_patch_export {
	unsigned int abi_version;
	struct graft_patch *patch;
};

#define GRAFT_PATCH_SYMBOL "graft_patch_export"

/* In exactly one source file of a patch module: GRAFT_PATCH(my_patch); */
#ifdef __cplusplus
#define GRAFT_PATCH(p)                                          \
	extern "C" __attribute__((visibility("default"), used)) \
	const struct graft_patch_export graft_patch_export = {GRAFT_ABI_VERSION, &(p)}
#else
#define GRAFT_PATCH(p)                               \
	__attribute__((visibility("default"), used)) \
	const struct graft_patch_export graft_patch_export = {GRAFT_ABI_VERSION, &(p)}
#endif

/* The object's name: its graft_object.name, or the executable's file name for NULL. */
GRAFT_API const char *graft_object_name(const struct graft_object *obj);

/* Whether the object is live, coming or going; meaningful inside callbacks. */
GRAFT_API enum graft_object_state graft_object_state(const struct graft_object *obj);

/*
 * The state id in patch's states, or NULL (the kernel's klp_get_state). patch NULL: the
 * patch whose callback is running.
 */
GRAFT_API struct graft_state *graft_get_state(struct graft_patch *patch, unsigned long id);

/*
 * The same state id of the installed patches before the one in transition (the newest
 * one that has it), or NULL (the kernel's klp_get_prev_state). Only meaningful in the
 * callbacks of the patch in transition: NULL elsewhere.
 */
GRAFT_API struct graft_state *graft_get_prev_state(unsigned long id);

/* Append one line to the runtime log (see `graft log PID`). printf-style. */
GRAFT_API void graft_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Shadow variables: data attached to an existing object <obj, id> without changing its
 * layout (the kernel's klp_shadow_* API, without gfp flags). See docs/shadow-variables.md.
 */

/* The data of <obj, id>, or NULL. Lock-free; callable from any thread. */
GRAFT_API void *graft_shadow_get(void *obj, unsigned long id);
/* Attach size bytes (zeroed, then ctor) to <obj, id>; NULL (and a warning) if it exists. */
GRAFT_API void *graft_shadow_alloc(void *obj, unsigned long id, size_t size,
				   graft_shadow_ctor_t ctor, void *ctor_data);
/* The existing data of <obj, id>, or new data as graft_shadow_alloc (ctor runs once). */
GRAFT_API void *graft_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
					  graft_shadow_ctor_t ctor, void *ctor_data);
/* Detach <obj, id>, call dtor (if not NULL) on its data; memory is reclaimed later. */
GRAFT_API void graft_shadow_free(void *obj, unsigned long id, graft_shadow_dtor_t dtor);
/* graft_shadow_free for every obj with this id. */
GRAFT_API void graft_shadow_free_all(unsigned long id, graft_shadow_dtor_t dtor);

/*
 * The same calls on a type (ABI version 3): its id, and its ctor and dtor. Each checks
 * that the type's id is registered (by an object's shadow_types or a state's
 * shadow_type): if not, it logs an error and does nothing (NULL).
 */
GRAFT_API void *graft_shadow_get_typed(void *obj, const struct graft_shadow_type *type);
GRAFT_API void *graft_shadow_alloc_typed(void *obj, const struct graft_shadow_type *type,
					 size_t size, void *ctor_data);
GRAFT_API void *graft_shadow_get_or_alloc_typed(void *obj, const struct graft_shadow_type *type,
						size_t size, void *ctor_data);
GRAFT_API void graft_shadow_free_typed(void *obj, const struct graft_shadow_type *type);
GRAFT_API void graft_shadow_free_all_typed(const struct graft_shadow_type *type);

/*
 * Execution contexts (fibers, coroutines) for schedulers that switch stacks with their
 * own code. Boost.Context (shared library) and ucontext are tracked without this; see
 * docs/writing-patches.md. Contexts are tasks of the consistency model: each keeps its
 * own patch state, and the transition checks suspended contexts' stacks.
 */
struct graft_context;
/* A new context on the stack [stack, stack + size), not started yet. NULL: no memory. */
GRAFT_API struct graft_context *graft_context_register(void *stack, size_t size);
/* The context running on the calling thread (its own stack, the first time); NULL when
   fiber tracking is off (GRAFT_TEST_FIBERS=off). */
GRAFT_API struct graft_context *graft_context_current(void);
/* Right before switching stacks from the running context to `to` (suspended). If `to`
   is being checked by the transition, waits for the check (microseconds). */
GRAFT_API void graft_context_switch(struct graft_context *to);
/* First thing on the incoming stack: after the switch returns, and at the start of a
   new context's function. */
GRAFT_API void graft_context_switched(void);
/* A context that will not run again (not the running one). */
GRAFT_API void graft_context_unregister(struct graft_context *ctx);

/*
 * Callbacks and shadow variable types written in a fix's own source, for modules that
 * graft-patchgen generates (the kernel's KPATCH_PRE_PATCH_CALLBACK and friends). Each
 * macro records its argument in a section of the unit; graft-patchgen puts it in the
 * graft_object of the object the unit belongs to. fn and type must be defined in the
 * fix (new code): e.g.
 *   static int warm_cache(struct graft_object *obj) { ...; return 0; }
 *   GRAFT_PRE_PATCH_CALLBACK(warm_cache);
 * The program built from the fixed source does not run them (they are data nothing
 * reads). Modules written by hand fill graft_object.callbacks and .shadow_types instead.
 */
typedef int (*graft_pre_patch_fn)(struct graft_object *obj);
typedef void (*graft_object_fn)(struct graft_object *obj);
#define GRAFT_HOOK_(sect, type, name, value) \
	static type const name __attribute__((section(sect), used)) = (value)
#define GRAFT_PRE_PATCH_CALLBACK(fn) \
	GRAFT_HOOK_(".graft.callbacks.pre_patch", graft_pre_patch_fn, graft_pre_patch_##fn, fn)
#define GRAFT_POST_PATCH_CALLBACK(fn) \
	GRAFT_HOOK_(".graft.callbacks.post_patch", graft_object_fn, graft_post_patch_##fn, fn)
#define GRAFT_PRE_UNPATCH_CALLBACK(fn) \
	GRAFT_HOOK_(".graft.callbacks.pre_unpatch", graft_object_fn, graft_pre_unpatch_##fn, fn)
#define GRAFT_POST_UNPATCH_CALLBACK(fn) \
	GRAFT_HOOK_(".graft.callbacks.post_unpatch", graft_object_fn, graft_post_unpatch_##fn, fn)
/* A struct graft_shadow_type of the fix, listed in its object's shadow_types. */
#define GRAFT_SHADOW_TYPE(type)                                              \
	GRAFT_HOOK_(".graft.shadow_types", const struct graft_shadow_type *, \
		    graft_shadow_type_##type, &(type))

#ifdef __cplusplus
}
#endif

#endif /* GRAFT_GRAFT_H */
