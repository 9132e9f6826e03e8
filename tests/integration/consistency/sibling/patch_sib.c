/* SPDX-License-Identifier: MIT */
/* patch_sib.c - a new encoding for every sibling-call codec: enc(x) = 3x, dec(y) = y/3,
 * and each run of the same shape, its last call a sibling call again (through the
 * graft_sym cells: jmp *cell(%rip)). Built twice: SIB_PFE names the _pfe copies. */
#include <graft/graft.h>

#include "sib_funcs.h"

#define STR2(x) #x
#define STR(x) STR2(x)
#define NAME(x) STR(SIB(x))

static volatile long zero = 0;
static long (*enc)(long);
static long (*dec)(long);
static long (*mid)(long);
static long (*lib_enc)(long);
static long (*lib_dec)(long);
static long (**dec_ptr)(long);
static void (*pause_here)(void);

static long enc_v2(long x)
{
	return x * 3 + zero;
}

static long dec_v2(long y)
{
	return y / 3 + zero;
}

static long run_v2(long x)
{
	long y = enc(x);
	pause_here();
	return dec(y);
}

static long run_ptr_v2(long x)
{
	long y = enc(x);
	pause_here();
	return (*dec_ptr)(y);
}

static long mid_v2(long y)
{
	return dec(y);
}

static long run_chain_v2(long x)
{
	long y = enc(x);
	pause_here();
	return mid(y);
}

static long run_plt_v2(long x)
{
	long y = lib_enc(x);
	pause_here();
	return lib_dec(y);
}

/* SibCodec::dec and ::run, called with this first; dec is vtable slot 0. */
struct codec;
typedef long (*dec_method)(struct codec *, long);
struct codec {
	dec_method *vtable;
	long base;
};

static long method_dec_v2(struct codec *self, long y)
{
	return y / 3 + zero + (self->base - 1000);
}

static long method_run_v2(struct codec *self, long x)
{
	long y = enc(x);
	pause_here();
	return self->vtable[0](self, y);
}

#ifdef SIB_PFE
#define METHOD_DEC "_ZN12SibCodec_pfe3decEl"
#define METHOD_RUN "_ZN12SibCodec_pfe3runEl"
#define LIB "libsib.so"
#else
#define METHOD_DEC "_ZN8SibCodec3decEl"
#define METHOD_RUN "_ZN8SibCodec3runEl"
#define LIB "libsib.so"
#endif

static struct graft_func exe_funcs[] = {
	{.old_name = NAME(sib_enc), .new_func = (void *)enc_v2},
	{.old_name = NAME(sib_dec), .new_func = (void *)dec_v2},
	{.old_name = NAME(sib_run), .new_func = (void *)run_v2},
	{.old_name = NAME(sib_run_ptr), .new_func = (void *)run_ptr_v2},
	{.old_name = NAME(sib_mid), .new_func = (void *)mid_v2},
	{.old_name = NAME(sib_run_chain), .new_func = (void *)run_chain_v2},
	{.old_name = NAME(sib_run_plt), .new_func = (void *)run_plt_v2},
	{.old_name = METHOD_DEC, .new_func = (void *)method_dec_v2},
	{.old_name = METHOD_RUN, .new_func = (void *)method_run_v2},
	{0}};
static struct graft_sym exe_syms[] = {{.name = NAME(sib_enc), .addr = (void **)&enc},
				      {.name = NAME(sib_dec), .addr = (void **)&dec},
				      {.name = NAME(sib_mid), .addr = (void **)&mid},
				      {.name = NAME(sib_dec_ptr), .addr = (void **)&dec_ptr},
				      {.name = "sib_pause", .addr = (void **)&pause_here},
				      {0}};
static struct graft_func lib_funcs[] = {{.old_name = NAME(sib_lib_enc), .new_func = (void *)enc_v2},
					{.old_name = NAME(sib_lib_dec), .new_func = (void *)dec_v2},
					{0}};
static struct graft_sym lib_syms[] = {{.name = NAME(sib_lib_enc), .addr = (void **)&lib_enc},
				      {.name = NAME(sib_lib_dec), .addr = (void **)&lib_dec},
				      {0}};
static struct graft_object objs[] = {{.name = NULL, .funcs = exe_funcs, .syms = exe_syms},
				     {.name = LIB, .funcs = lib_funcs, .syms = lib_syms},
				     {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
