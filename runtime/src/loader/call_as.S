/* SPDX-License-Identifier: MIT */
/* call_as.S - graft_loader_call_as(fn, a, b, ret_byte): fn(a, b), with ret_byte as the
 * return address fn sees. glibc's dlopen takes its caller from its return address
 * (RETURN_ADDRESS (0) in dlfcn/dlopen.c): the caller's RUNPATH, $ORIGIN and link
 * namespace. The interposed dlopen passes the address of a `ret` (0xc3) byte inside the
 * application's calling object, so glibc sees that object as the caller; the `ret` there
 * pops the next word, which brings control back here. Nothing of the caller's object is
 * written. The stack is aligned as after a call: (%rsp) + 8 is 16-aligned at fn's entry.
 * This file has no IBT/SHSTK property note, so the process never runs with a shadow
 * stack (which would refuse the borrowed return). */
	.text
	.p2align 4
	.globl graft_loader_call_as
	.hidden graft_loader_call_as
	.type graft_loader_call_as, @function
graft_loader_call_as:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	and $-16, %rsp
	mov %rdi, %rax          /* fn */
	mov %rsi, %rdi          /* a */
	mov %rdx, %rsi          /* b */
	lea 1f(%rip), %rdx
	sub $8, %rsp
	push %rdx               /* where the borrowed ret returns: 1 below */
	push %rcx               /* the return address fn sees: the ret byte */
	jmp *%rax
1:
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size graft_loader_call_as, .-graft_loader_call_as

/* graft_loader_call_as3(fn, a, b, c, ret_byte): fn(a, b, c) the same way (dlmopen). */
	.p2align 4
	.globl graft_loader_call_as3
	.hidden graft_loader_call_as3
	.type graft_loader_call_as3, @function
graft_loader_call_as3:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	and $-16, %rsp
	mov %rdi, %rax          /* fn */
	mov %rsi, %rdi          /* a */
	mov %rdx, %rsi          /* b */
	mov %rcx, %rdx          /* c */
	lea 1f(%rip), %rcx
	sub $8, %rsp
	push %rcx               /* where the borrowed ret returns: 1 below */
	push %r8                /* the return address fn sees: the ret byte */
	jmp *%rax
1:
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size graft_loader_call_as3, .-graft_loader_call_as3

	.section .note.GNU-stack,"",@progbits
