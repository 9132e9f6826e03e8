/* SPDX-License-Identifier: MIT */
/* fib_sibling.c - the fiber codec whose last call is a sibling call (issue 12):
 * fib_srun ends in jmp fib_sdec, so its frame is gone while fib_sdec runs. Compiled
 * twice: FIB_PFE makes the _pfe copy, with -fpatchable-function-entry=16,14. */
#include "fib_funcs.hpp"

#ifdef FIB_PFE
#define S(name) name##_pfe
#else
#define S(name) name
#endif

static volatile long thousand = 1000;

FIB_OPAQUE long S(fib_senc)(long x)
{
	return x + thousand;
}

FIB_OPAQUE long S(fib_sdec)(long y)
{
	return y - thousand;
}

FIB_OPAQUE long S(fib_srun)(long x)
{
	long y = S(fib_senc)(x);
	fib_yield(); /* parked between enc and dec, maybe resumed by the other thread */
	return S(fib_sdec)(y);
}
