/* SPDX-License-Identifier: MIT */
/* call_sites.c - calls as the compiler of this build makes them at -O2: direct, through a
 * register, through memory (a struct member, a table), and a sibling call. Each callee
 * records its return address and the stack slot that holds it. */
#include <stdint.h>

uintptr_t cs_ret;  /* the return address the last probe saw */
uintptr_t cs_slot; /* where it lies: the stack pointer at the probe's entry */
void (*volatile cs_hook)(uintptr_t slot); /* called by the probe while its frame lives */

#if defined(__clang__)
#define CS_OPAQUE __attribute__((noinline, used))
#else
#define CS_OPAQUE __attribute__((noipa, used))
#endif

CS_OPAQUE long cs_probe(long x)
{
	cs_ret = (uintptr_t)__builtin_return_address(0);
	cs_slot = (uintptr_t)__builtin_frame_address(0) + 8;
	if (cs_hook)
		cs_hook(cs_slot);
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

struct cs_ops {
	long (*fn)(long);
};
long (*volatile cs_ptr)(long) = cs_probe;
struct cs_ops cs_table[3] = {{cs_probe}, {cs_probe}, {cs_probe}};
volatile int cs_index = 2;
static volatile long zero;

CS_OPAQUE long cs_call_direct(long x)
{
	return cs_probe(x) + zero; /* not a sibling call */
}

CS_OPAQUE long cs_call_register(long x)
{
	long (*f)(long) = cs_ptr;
	return f(x) + zero;
}

CS_OPAQUE long cs_call_memory(struct cs_ops *ops, long x)
{
	return ops[cs_index].fn(x) + zero;
}

/* Ends in jmp cs_probe: the probe sees the return address of whoever called this. */
CS_OPAQUE long cs_call_sibling(long x)
{
	long y = x * 2 + zero;
	return cs_probe(y);
}
