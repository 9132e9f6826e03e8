/* SPDX-License-Identifier: MIT */
/* sigreturn.S - for sigreturn_test.cpp: a signal handler that redirects the thread it
 * interrupted (as graft's SIGTRAP handler sends a thread that hit an int3 to where the
 * new instruction leads) and returns to the sigreturn trampoline with the trap flag set,
 * so that a single-step SIGTRAP arrives with the thread inside the trampoline, before
 * rt_sigreturn has applied the redirect. */
	.text
	.globl tr_redirecting_handler
	.type tr_redirecting_handler, @function
tr_redirecting_handler:
	.cfi_startproc
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
	call tr_redirect /* (sig, info, uc) still in rdi, rsi, rdx */
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	pushfq
	.cfi_adjust_cfa_offset 8
	orq $0x100, (%rsp) /* TF: a single-step trap after the next instruction, the ret */
	popfq
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size tr_redirecting_handler, .-tr_redirecting_handler

/* Where the handler sends the thread. Never run: the test puts the thread's own PC back
 * before the sigreturn. Its unwind data ends the stack, as graft's stubs and a
 * patchable entry's pad jump (no unwind data at all) end the unwinder's walk. */
	.globl tr_redirect_target
	.type tr_redirect_target, @function
tr_redirect_target:
	.cfi_startproc
	.cfi_undefined rip
	nop
	ud2
	.cfi_endproc
	.size tr_redirect_target, .-tr_redirect_target
	.section .note.GNU-stack, "", @progbits
