/* SPDX-License-Identifier: MIT */
/* sib_funcs.h - the sibling-call tests' codecs, each a function "run" whose last call is
 * a sibling call (it ends in jmp) to the decoder: run(x) == x when the encoder and the
 * decoder it used are of one version. Compiled twice into the target: SIB(x) is x, and
 * x_pfe for the copy built with -fpatchable-function-entry=16,14. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define SIB_CAT2(a, b) a##b
#define SIB_CAT(a, b) SIB_CAT2(a, b)
#ifdef SIB_PFE
#define SIB(name) SIB_CAT(name, _pfe)
#else
#define SIB(name) name
#endif

#if defined(__clang__)
#define SIB_OPAQUE __attribute__((noinline, used, visibility("default")))
#else
#define SIB_OPAQUE __attribute__((noipa, used, visibility("default")))
#endif

/* The variants (the index the target's spin loop takes). */
enum sib_variant {
	SIB_DIRECT,  /* run ends in jmp dec */
	SIB_POINTER, /* run ends in jmp *%reg through a function pointer to dec */
	SIB_CHAIN,   /* run ends in jmp mid, mid ends in jmp dec */
	SIB_PLT,     /* run ends in jmp lib_dec@plt: enc and dec in libsib.so */
	SIB_METHOD,  /* a C++ method ending in a sibling call of a virtual dec */
	SIB_VARIANTS
};

/* Everything but the variant's run is shared: the window between enc and dec. */
void sib_pause(void);
extern volatile int sib_pause_loops;

/* The spin loop of one variant, in the file of its functions: the loop calls run with
 * a direct call, as ordinary code does. Returns the calls made; *mismatches counts the
 * results != x. Stops when *stop is set. */
long sib_spin(int variant, volatile int *stop, long *mismatches);
long sib_spin_pfe(int variant, volatile int *stop, long *mismatches);

long sib_enc(long x);
long sib_dec(long y);
long sib_run(long x);
long sib_run_ptr(long x);
long sib_mid(long y);
long sib_run_chain(long x);
long sib_run_plt(long x);
long sib_enc_pfe(long x);
long sib_dec_pfe(long y);
long sib_run_pfe(long x);
long sib_run_ptr_pfe(long x);
long sib_mid_pfe(long y);
long sib_run_chain_pfe(long x);
long sib_run_plt_pfe(long x);

/* The relocated-call case (plain copy only): sib_block calls sib_sleep first thing;
 * sib_sleep (in the target) blocks until released, then stores sib_version() in
 * sib_seen, which sib_block returns. */
int sib_block(void);
int sib_version(void);
void sib_sleep(void);
extern volatile int sib_seen;

/* The skip case (plain copy only): sib_fna waits in sib_wait_contract (the target),
 * then returns sib_fnc(); the caller then calls sib_fnb. Each returns its version. */
int sib_fna(void);
int sib_fnb(void);
int sib_fnc(void);
void sib_wait_contract(void);

/* libsib.so */
long sib_lib_enc(long x);
long sib_lib_dec(long y);
long sib_lib_enc_pfe(long x);
long sib_lib_dec_pfe(long y);

/* sib_method.cpp: calls SibCodec::run (or SibCodec_pfe::run) on one object. */
long sib_method_run(long x);
long sib_method_run_pfe(long x);

#ifdef __cplusplus
}
#endif
