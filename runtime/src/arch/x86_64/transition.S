/* SPDX-License-Identifier: MIT */
/* transition.S - the body shared by every transition_f: save the argument registers,
 * ask the select hook where this call goes, restore them and jump there. Entered from a
 * site's transition_f with r11 = the site's SiteData (slot, cookie, site), at a function
 * entry: the return address is at (%rsp) and nothing of the caller's must be touched.
 * Stack alignment is not assumed (and $-16), so it works wherever a call lands. */
	.text
	.p2align 4
	.globl graft_arch_transition_common
	.hidden graft_arch_transition_common
	.type graft_arch_transition_common, @function
graft_arch_transition_common:
	.cfi_startproc
	endbr64
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	/* integer argument registers, rax (vector count of varargs), r10 (static chain) */
	push %rdi
	push %rsi
	push %rdx
	push %rcx
	push %r8
	push %r9
	push %rax
	push %r10
	and $-16, %rsp
	sub $128, %rsp
	movaps %xmm0, 0(%rsp)
	movaps %xmm1, 16(%rsp)
	movaps %xmm2, 32(%rsp)
	movaps %xmm3, 48(%rsp)
	movaps %xmm4, 64(%rsp)
	movaps %xmm5, 80(%rsp)
	movaps %xmm6, 96(%rsp)
	movaps %xmm7, 112(%rsp)
	mov 8(%r11), %rdi        /* SiteData.cookie */
	mov 16(%r11), %rsi       /* SiteData.site (used by the default hook) */
	lea 8(%rbp), %rdx        /* the stack pointer at the function's entry */
	call *graft_arch_select_hook(%rip)
	mov %rax, %r11
	movaps 0(%rsp), %xmm0
	movaps 16(%rsp), %xmm1
	movaps 32(%rsp), %xmm2
	movaps 48(%rsp), %xmm3
	movaps 64(%rsp), %xmm4
	movaps 80(%rsp), %xmm5
	movaps 96(%rsp), %xmm6
	movaps 112(%rsp), %xmm7
	lea -64(%rbp), %rsp
	pop %r10
	pop %rax
	pop %r9
	pop %r8
	pop %rcx
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rbp
	.cfi_def_cfa %rsp, 8
	jmp *%r11
	.cfi_endproc
	.size graft_arch_transition_common, .-graft_arch_transition_common
	.globl graft_arch_transition_common_end
	.hidden graft_arch_transition_common_end
graft_arch_transition_common_end:

	.section .note.GNU-stack, "", @progbits
