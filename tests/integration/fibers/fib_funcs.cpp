// SPDX-License-Identifier: MIT
// fib_funcs.cpp - the fiber tests' patched functions, alone in their file so no caller
// inlines or clones them; each starts with a volatile read and none ends in a tail
// call, so each stays on its fiber's stack while it calls another.
#include "fib_funcs.hpp"

namespace {
volatile int one = 1;
volatile long zero = 0;
volatile long thousand = 1000;
} // namespace

extern "C" {

FIB_OPAQUE long fib_f(long x)
{
	return x + thousand;
}

FIB_OPAQUE long fib_g(long y)
{
	return y - thousand;
}

FIB_OPAQUE long fib_h(long x)
{
	long base = zero; // a volatile read first: the entry's first bytes hold no call
	long y = fib_f(x) + base;
	fib_yield(); // parked between f and g, maybe resumed by the other thread
	long r = fib_g(y);
	return r + zero;
}

FIB_OPAQUE int fib_park(void)
{
	int version = one;
	fib_wait();
	return version + int(zero);
}

} // extern "C"
