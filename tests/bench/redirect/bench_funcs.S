/* SPDX-License-Identifier: MIT */
/* bench_funcs.S - empty functions to patch: the replacement (just ret), a detour target
 * (a 5-byte NOP, then ret) and a patchable-entry target (14 NOPs, 66 90, ret). */
#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, .-name; .globl name##_end; name##_end: int3

	.text
FUNC(bench_empty)
	ret
END(bench_empty)

FUNC(bench_detour)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_detour)

FUNC(bench_unpatched)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_unpatched)

FUNC(bench_direct)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_direct)

FUNC(bench_core)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_core)

FUNC(bench_far)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_far)

FUNC(bench_near)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_near)

FUNC(bench_transition)
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* 5-byte nop */
	ret
END(bench_transition)

	.p2align 4
	.rept 14
	nop
	.endr
	.globl bench_patchable
	.type bench_patchable, @function
bench_patchable:
	.byte 0x66, 0x90
	ret
END(bench_patchable)

	.section .note.GNU-stack, "", @progbits
