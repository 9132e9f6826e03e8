// SPDX-License-Identifier: MIT
// bench_call_funcs.c - the call-cost benchmark's patched functions: the one called in the
// loop, the one the loop runs inside (so the calling thread cannot switch), and the one
// a second thread parks in.
#include <unistd.h>

#if defined(__clang__)
#define OPAQUE __attribute__((noinline, used))
#else
#define OPAQUE __attribute__((noipa, used))
#endif

static volatile int one = 1;
static volatile int zero = 0;

OPAQUE int bench_tr_target(void)
{
	return one;
}

OPAQUE int bench_tr_outer(void (*body)(void *), void *arg)
{
	int v = one;
	body(arg);
	return v + zero; // not a tail call: bench_tr_outer stays on the stack during body
}

// A direct call of bench_tr_target (the loops call through a pointer, which the entry
// rule cannot prove): the thread switches at its entry when its stack is clean.
int bench_tr_call_once(void)
{
	return bench_tr_target() + zero;
}

// The busy-thread benchmark: a thread that spends most of its time inside a patched
// function, called directly from a loop (as ordinary code does).
static volatile long sink;

OPAQUE int bench_tr_busy(void)
{
	for (int i = 50; i > 0; i--)
		sink = sink + 1;
	return one;
}

long bench_tr_busy_loop(volatile int *stop)
{
	long n = 0;
	while (!*stop) {
		bench_tr_busy();
		n++;
	}
	return n;
}

OPAQUE int bench_tr_hold(int fd)
{
	int v = one;
	char c;
	if (read(fd, &c, 1) < 0)
		v = -1;
	return v + zero;
}
