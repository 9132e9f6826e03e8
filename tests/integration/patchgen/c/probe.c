/* SPDX-License-Identifier: MIT */
/* probe.c - what the other refusal fixes change: a function, top-level asm. */
#include "shop.h"

__asm__(".globl probe_asm\n.type probe_asm, @function\nprobe_asm:\n\tmovl $7, %eax\n\tret\n");

int probe(int x)
{
	return x + 1;
}
