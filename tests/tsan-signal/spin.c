// SPDX-License-Identifier: MIT
// spin.c - built without TSan's instrumentation, like graft's test targets: a loop that
// keeps its count in r12 and in memory, with one call through an interceptor of TSan's
// (close) every 2^20 iterations. See deferred_signal.c.
#include <unistd.h>

volatile unsigned long counter;

void spin(void)
{
	unsigned long i = 0;
	for (;;) {
		i++;
		__asm__ volatile("mov %0, %%r12" ::"r"(i) : "r12");
		counter = i;
		if ((i & 0xfffff) == 0)
			close(-1);
	}
}
