// SPDX-License-Identifier: MIT
// sib_method.cpp - the C++ variant: a method whose last call is a virtual call on this,
// compiled as jmp *slot(%rax). dec is the first virtual (vtable slot 0).
#include "sib_funcs.h"

#define SibCodec SIB(SibCodec)

struct SibCodec {
	virtual long dec(long y);
	long run(long x);
	long base = 1000;
};

SIB_OPAQUE long SibCodec::dec(long y)
{
	return y - base;
}

SIB_OPAQUE long SibCodec::run(long x)
{
	long y = SIB(sib_enc)(x);
	sib_pause();
	return dec(y);
}

namespace {
// Through a volatile pointer: the compiler does not know the dynamic type, so it
// neither devirtualises the call nor inlines dec into run.
SibCodec codec;
SibCodec *volatile the_codec = &codec;
volatile long zero = 0;
} // namespace

// Not a sibling call itself: run is entered by a call (where a busy thread switches).
extern "C" long SIB(sib_method_run)(long x)
{
	long r = the_codec->run(x);
	return r + zero;
}
