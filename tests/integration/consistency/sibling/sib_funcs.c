/* SPDX-License-Identifier: MIT */
/* sib_funcs.c - the C codecs of the sibling-call tests (compiled twice, see sib_funcs.h).
 * Old encoding: enc(x) = x + 1000, dec(y) = y - 1000. Each run ends in a sibling call. */
#include "sib_funcs.h"

static volatile long thousand = 1000;

SIB_OPAQUE long SIB(sib_enc)(long x)
{
	return x + thousand;
}

SIB_OPAQUE long SIB(sib_dec)(long y)
{
	return y - thousand;
}

SIB_OPAQUE long SIB(sib_run)(long x)
{
	long y = SIB(sib_enc)(x);
	sib_pause(); /* the window: enc done, dec not yet */
	return SIB(sib_dec)(y);
}

/* Read at each call: the compiler cannot turn the jump into a direct one. */
long (*volatile SIB(sib_dec_ptr))(long) = SIB(sib_dec);

SIB_OPAQUE long SIB(sib_run_ptr)(long x)
{
	long y = SIB(sib_enc)(x);
	sib_pause();
	return SIB(sib_dec_ptr)(y);
}

SIB_OPAQUE long SIB(sib_mid)(long y)
{
	return SIB(sib_dec)(y);
}

SIB_OPAQUE long SIB(sib_run_chain)(long x)
{
	long y = SIB(sib_enc)(x);
	sib_pause();
	return SIB(sib_mid)(y);
}

SIB_OPAQUE long SIB(sib_run_plt)(long x)
{
	long y = SIB(sib_lib_enc)(x);
	sib_pause();
	return SIB(sib_lib_dec)(y);
}

static long once(int variant, long x)
{
	switch (variant) {
	case SIB_DIRECT:
		return SIB(sib_run)(x);
	case SIB_POINTER:
		return SIB(sib_run_ptr)(x);
	case SIB_CHAIN:
		return SIB(sib_run_chain)(x);
	case SIB_PLT:
		return SIB(sib_run_plt)(x);
	default:
		return SIB(sib_method_run)(x);
	}
}

long SIB(sib_spin)(int variant, volatile int *stop, long *mismatches)
{
	long calls = 0;
	for (long x = 1; !*stop; x = (x + 7) % 499) { /* never 500: 3x - 1000 == x there */
		if (once(variant, x) != x)
			__atomic_fetch_add(mismatches, 1, __ATOMIC_RELAXED);
		calls++;
	}
	return calls;
}

#ifndef SIB_PFE
/* The relocated-call case (issue 12): sib_block has no patchable entry and its first
 * five bytes hold the start of a call (sub $8,%rsp or push; call sib_sleep), which the
 * detour relocates into the trampoline. sib_sleep, not patched, blocks and then asks
 * sib_version, which the patch changes too: a thread blocked there is inside the old
 * sib_block and must see version 1. */
static volatile int one = 1;
volatile int sib_seen;

SIB_OPAQUE int sib_version(void)
{
	return one;
}

SIB_OPAQUE int sib_block(void)
{
	sib_sleep();
	return sib_seen;
}
#endif

#ifndef SIB_PFE
/* The skip case (issue 12, after libpulp's "contract"): a thread inside the old sib_fna
 * tries to switch at sib_fnc's entry and is held; sib_fna returns, and the thread's
 * next call, sib_fnb, starts with a clean stack: it must switch there. */
SIB_OPAQUE int sib_fnc(void)
{
	return one;
}

SIB_OPAQUE int sib_fna(void)
{
	int base = one - 1;
	sib_wait_contract(); /* held here (fna on the stack) until released */
	return sib_fnc() + base;
}

SIB_OPAQUE int sib_fnb(void)
{
	return one;
}
#endif
