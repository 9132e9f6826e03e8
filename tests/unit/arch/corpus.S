/* SPDX-License-Identifier: MIT */
/* corpus.S - real prologues with known answers for the code patcher's tests: RIP-relative
 * operands, short branches, endbr64, frames, a call ending the overwritten range,
 * patchable entries in GCC (90 90) and Clang (66 90) style, and refusal cases. Every
 * function F has F_end right after it (its size is F_end - F). */

#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, .-name; .globl name##_end; name##_end: int3
/* -fpatchable-function-entry=16,14: 14 one-byte NOPs, the entry at 14 mod 16. */
#define PFE_FUNC(name) .p2align 4; .rept 14; nop; .endr; .globl name; .type name, @function; name:

	.data
	.p2align 3
corpus_value:	.long 101
corpus_table:	.long 201, 202, 203
	.globl corpus_flag
corpus_flag:	.byte 0

	.text
/* mov eax, [rip+x]: 6 bytes, a disp32 to re-target */
FUNC(corpus_rip_load)
	mov corpus_value(%rip), %eax
	ret
END(corpus_rip_load)

/* lea rax, [rip+table]: returns table[1] = 202 */
FUNC(corpus_lea)
	lea corpus_table(%rip), %rax
	mov 4(%rax), %eax
	ret
END(corpus_lea)

/* a short jcc in the range (widened to jcc rel32): x == 0 ? 304 : 303 */
FUNC(corpus_short_jcc)
	test %edi, %edi
	je 1f
	mov $303, %eax
	ret
1:	mov $304, %eax
	ret
END(corpus_short_jcc)

/* a short jmp in the range (widened to jmp rel32) to the first byte after it: 404 */
FUNC(corpus_short_jmp)
	jmp 1f
	nop
	nop
	nop
1:	mov $404, %eax
	ret
END(corpus_short_jmp)

/* endbr64 kept at the entry, the jump written after it: 505 */
FUNC(corpus_endbr)
	endbr64
	push %rbp
	mov %rsp, %rbp
	mov $505, %eax
	pop %rbp
	ret
END(corpus_endbr)

/* push/mov/sub frame: x + 600 */
FUNC(corpus_frame)
	push %rbx
	mov %rdi, %rbx
	sub $16, %rsp
	lea 600(%rbx), %eax
	add $16, %rsp
	pop %rbx
	ret
END(corpus_frame)

/* RIP-relative with an immediate after the displacement: flag ? 802 : 801 */
FUNC(corpus_rip_cmp)
	cmpb $0, corpus_flag(%rip)
	jne 1f
	mov $801, %eax
	ret
1:	mov $802, %eax
	ret
END(corpus_rip_cmp)

FUNC(corpus_g)
	lea 7(%rdi), %eax
	ret
END(corpus_g)

/* push rbx; call g: the call ends the overwritten range. (x + 7) + 700 */
FUNC(corpus_call_end)
	.cfi_startproc
	push %rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	call corpus_g
	add $700, %eax
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
END(corpus_call_end)

/* push rbx; call thrower (C++, throws when x != 0): unwinding must see this function */
FUNC(corpus_call_throw)
	.cfi_startproc
	push %rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	call corpus_thrower
	add $1, %eax
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
END(corpus_call_throw)

/* spins while *rdi == 0 inside its first 6 bytes (the loop is in the relocated range),
 * then returns 1 */
FUNC(corpus_spin)
	nop
1:	cmpb $0, (%rdi)
	je 1b
	mov $1, %eax
	ret
END(corpus_spin)

/* a plain 5-byte first instruction, for the transition thunk and direct mode: 1000 */
FUNC(corpus_plain)
	mov $1000, %eax
	ret
END(corpus_plain)

/* --- refusals --- */
FUNC(corpus_ret1)
	ret
END(corpus_ret1)

FUNC(corpus_short3)
	xor %eax, %eax
	ret
END(corpus_short3)

/* call *rax ends at +3: its return address would be inside the overwritten bytes */
FUNC(corpus_call_mid)
	push %rbx
	call *%rax
	pop %rbx
	mov $1, %eax
	ret
END(corpus_call_mid)

/* the loop branches back to +1, inside the first 5 bytes */
FUNC(corpus_branch_into)
	push %rbx
1:	dec %edi
	mov $5, %eax
	test %edi, %edi
	jg 1b
	pop %rbx
	ret
END(corpus_branch_into)

FUNC(corpus_syscall)
	xor %eax, %eax
	mov $39, %al
	syscall
	ret
END(corpus_syscall)

/* --- patchable entries --- */
PFE_FUNC(pfe_gcc)
	nop
	nop
	lea 1001(%rdi), %eax
	ret
END(pfe_gcc)

PFE_FUNC(pfe_clang)
	.byte 0x66, 0x90
	lea 1002(%rdi), %eax
	ret
END(pfe_clang)

PFE_FUNC(pfe_gcc_endbr)
	endbr64
	nop
	nop
	lea 1003(%rdi), %eax
	ret
END(pfe_gcc_endbr)

PFE_FUNC(pfe_clang_endbr)
	endbr64
	.byte 0x66, 0x90
	lea 1004(%rdi), %eax
	ret
END(pfe_clang_endbr)

	.section .note.GNU-stack, "", @progbits
