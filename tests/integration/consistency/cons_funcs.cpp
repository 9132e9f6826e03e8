// SPDX-License-Identifier: MIT
// cons_funcs.cpp - the consistency fixture's patched functions, alone in their own file so
// no caller can inline, clone or constant-fold them; each starts with a volatile read
// (at least 5 bytes before any ret, for a detour) and none ends in a tail call, so the
// function stays on the stack while it calls another.
#include "cons_funcs.hpp"

#include <stdexcept>

#include <unistd.h>

namespace {
// Read through volatile so the compiler can neither fold the results into callers nor
// turn a final call into a jump.
volatile int one = 1;
volatile int zero = 0;
volatile long thousand = 1000;
volatile unsigned long sink = 0;
} // namespace

extern "C" {

volatile int codec_pause = 300;
volatile int busy_entered = 0;

CONS_OPAQUE int busymod_work_func(int fd)
{
	int version = one;
	busy_entered = 1;
	for (;;) {
		char c = 0;
		ssize_t n = read(fd, &c, 1); // a cancellation point: `cancel` unwinds from here
		if (n <= 0 || c == 'x')
			break;
		if (c == 't')
			cons_busy_throw_test(); // from a thread that has not switched
	}
	return version + zero;
}

CONS_OPAQUE int cons_version(void)
{
	return one + zero;
}

CONS_OPAQUE int cons_inner(int x)
{
	if (x < 0 + zero)
		throw std::runtime_error("negative");
	return x;
}

CONS_OPAQUE int cons_pass(int x)
{
	int base = one;		     // read before the call: the entry's first bytes hold no call
	return cons_inner(x) + base; // not a tail call: the exception unwinds through here
}

CONS_OPAQUE long codec_f(long x)
{
	return x + thousand;
}

CONS_OPAQUE long codec_g(long y)
{
	return y - thousand;
}

void codec_spin(void)
{
	for (int i = codec_pause; i > 0; i--)
		sink = sink + 1;
}

CONS_OPAQUE long codec_h(long x)
{
	long base = zero; // a volatile read first: the entry's first bytes hold no call
	long y = codec_f(x) + base;
	codec_spin(); // the window in which a thread has run old f and not yet g
	long r = codec_g(y);
	return r + zero;
}

CONS_OPAQUE int cons_k(struct cons_k_ctl *ctl)
{
	int version = one;
	ctl->entered = version;
	while (!ctl->stop)
		__builtin_ia32_pause();
	return version + zero;
}

CONS_OPAQUE int cons_idle_func(void)
{
	return one + zero;
}

} // extern "C"
