/* SPDX-License-Identifier: MIT */
/* stype_patch.c - the shadow type tests' patch modules, one source built with the parts
 * each module has (CMakeLists.txt):
 *   OBJECT_T  the executable's object lists type T (object-bound shadows)
 *   STATE_T   state SV_T (version 1) binds type T (state-bound shadows)
 *   TOUCH     rec_touch counts calls in <rec, SV_T> (typed get_or_alloc): returns the count
 *   PEEK      rec_peek: 1 if <rec, SV_T> exists, by the id-based call (sees any variable,
 *             registered or not: a leak or a stale variable shows)
 *   FREE_SUB  rec_free frees <rec, SV_T> with the record (the sub-patch of the downgrade
 *             story)
 *   LIB       an object for libstype_lib.so: lib_touch counts in <rec, SV_L> (type L)
 *   UNREG     rec_touch and rec_peek use type U, which no object registers
 *   HOLD      rec_hold is patched too (a thread sleeping in it holds the transition)
 *   REPLACE   an atomic replace (cumulative) patch */
#include <stdlib.h>
#include <unistd.h>

#include <graft/graft.h>

#include "stype.h"

struct counter {
	int magic;
	int count;
};

static int counter_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	(void)ctor_data;
	((struct counter *)shadow_data)->magic = SV_MAGIC;
	return 0;
}

/* The record is still alive when its variable is freed: the test counts on it. */
static void counter_dtor(void *obj, void *shadow_data)
{
	struct rec *r = obj;
	r->dtor_runs++;
	if (((struct counter *)shadow_data)->magic != SV_MAGIC)
		r->bad_dtor++;
}

static const struct graft_shadow_type type_t = {SV_T, counter_ctor, counter_dtor};
static const struct graft_shadow_type type_l = {SV_L, counter_ctor, counter_dtor};
static const struct graft_shadow_type type_u = {SV_U, counter_ctor, counter_dtor};

static int counted(struct rec *r, const struct graft_shadow_type *type)
{
	struct counter *c = graft_shadow_get_or_alloc_typed(r, type, sizeof(*c), NULL);
	if (!c)
		return -1;
	return ++c->count;
}

#ifdef UNREG
static int patched_touch(struct rec *r)
{
	return counted(r, &type_u);
}
static int patched_peek(struct rec *r)
{
	return graft_shadow_get_typed(r, &type_u) != NULL;
}
#define TOUCH 1
#define PEEK 1
#else
static int patched_touch(struct rec *r)
{
	return counted(r, &type_t);
}
static int patched_peek(struct rec *r)
{
	return graft_shadow_get(r, SV_T) != NULL;
}
#endif

/* The original rec_free is only free(r): the variable goes first, with the record. */
static void patched_free(struct rec *r)
{
	graft_shadow_free_typed(r, &type_t);
	free(r);
}

static int patched_hold(int fd)
{
	char c;
	return (int)read(fd, &c, 1);
}

static int lib_patched_touch(struct rec *r)
{
	return counted(r, &type_l);
}

#define FN(f) ((void *)(f))
static struct graft_func exe_funcs[] = {
#ifdef TOUCH
	{.old_name = "rec_touch", .new_func = FN(patched_touch)},
#endif
#ifdef PEEK
	{.old_name = "rec_peek", .new_func = FN(patched_peek)},
#endif
#ifdef FREE_SUB
	{.old_name = "rec_free", .new_func = FN(patched_free)},
#endif
#ifdef HOLD
	{.old_name = "rec_hold", .new_func = FN(patched_hold)},
#endif
	{0}};
static struct graft_func lib_funcs[] = {
	{.old_name = "lib_touch", .new_func = FN(lib_patched_touch)}, {0}};

static const struct graft_shadow_type *const exe_types[] = {
#ifdef OBJECT_T
	&type_t,
#endif
	NULL};
static const struct graft_shadow_type *const lib_types[] = {&type_l, NULL};

static struct graft_object objs[] = {
#ifndef LIB
	{.name = NULL, .funcs = exe_funcs, .shadow_types = exe_types},
#else
	{.name = "libstype_lib.so", .funcs = lib_funcs, .shadow_types = lib_types},
#endif
	{0}};

static struct graft_state states[] = {
#ifdef STATE_T
	{.id = SV_T, .version = 1, .shadow_type = &type_t},
#endif
	{0}};

#ifdef REPLACE
#define REPLACE_FLAG 1
#else
#define REPLACE_FLAG 0
#endif
static struct graft_patch patch = {.objs = objs, .replace = REPLACE_FLAG, .states = states};
GRAFT_PATCH(patch);

/* Keep the unused pieces of a variant quiet. */
__attribute__((used)) static void *unused[] = {
	FN(patched_touch),     FN(patched_peek),  FN(patched_hold),  FN(patched_free),
	FN(lib_patched_touch), (void *)lib_funcs, (void *)exe_funcs, (void *)exe_types,
	(void *)lib_types,     (void *)&type_u,	  (void *)&type_l};
