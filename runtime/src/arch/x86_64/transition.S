/* SPDX-License-Identifier: MIT */
/* transition.S - the body shared by every transition_f. First the fast path
 * (fast_path.hpp): when the calling thread's verdict is still valid, jump to its target
 * after a few loads. Otherwise save the argument registers, ask the select hook where
 * this call goes, restore them and jump there. Entered from a site's transition_f with
 * r11 = the site's SiteData (slot, cookie, site, transition), at a function entry: the
 * return address is at (%rsp) and nothing of the caller's must be touched. Stack
 * alignment is not assumed (and $-16), so it works wherever a call lands. */
/* The fast path's four scratch registers (rax: the vector count of a varargs call),
 * saved on entry and restored on both of its exits, with their unwind notes. */
	.macro fast_save
	push %rax
	.cfi_adjust_cfa_offset 8
	push %rcx
	.cfi_adjust_cfa_offset 8
	push %rdx
	.cfi_adjust_cfa_offset 8
	push %rsi
	.cfi_adjust_cfa_offset 8
	.endm
	.macro fast_restore
	pop %rsi
	.cfi_adjust_cfa_offset -8
	pop %rdx
	.cfi_adjust_cfa_offset -8
	pop %rcx
	.cfi_adjust_cfa_offset -8
	pop %rax
	.cfi_adjust_cfa_offset -8
	.endm

	.text
	.p2align 4
	.globl graft_arch_transition_common
	.hidden graft_arch_transition_common
	.type graft_arch_transition_common, @function
graft_arch_transition_common:
	.cfi_startproc
	endbr64
	/* The fast path. The entry's stack pointer is %rsp + 32 below. */
	fast_save
	movq graft_arch_fast@gottpoff(%rip), %rdx /* this thread's verdict, %fs-relative */
	movq %fs:(%rdx), %rsi                       /* key: stamp | state << 1 | held */
	movq %rsi, %rcx
	xorq graft_arch_fast_stamp(%rip), %rcx     /* state << 1 | held if the stamp is current */
	cmpq $3, %rcx
	ja .Lslow
	testl $1, %esi
	jz .Lpick
	/* Conditional: at the site it names (if any), the word still at its slot, and the
	 * slot at or above the entry's SP (the slot is read only then; 0 never passes). */
	movq %fs:24(%rdx), %rax
	testq %rax, %rax
	jz 1f
	cmpq %r11, %rax
	jne .Lslow
1:	leaq 32(%rsp), %rcx
	movq %fs:8(%rdx), %rax
	cmpq %rcx, %rax
	jb .Lslow
	movq (%rax), %rax
	notq %rax
	cmpq %fs:16(%rdx), %rax
	jne .Lslow
.Lpick:
	movl %esi, %ecx
	andl $2, %ecx                /* state << 1 (the stamp's low bits are 0) */
	movq (%r11), %rax            /* SiteData.slot: still routed through this transition_f? */
	cmpq 24(%r11), %rax
	jne .Lslow
	movq 8(%r11), %rax           /* SiteData.cookie: the targets for state 0 and 1 */
	testq %rax, %rax
	jz .Lslow
	movq (%rax,%rcx,4), %rax     /* the target of this thread's state */
	/* The verdict read above is still this thread's (a signal handler may have
	 * rewritten it) and its stamp still current (x86-TSO: these loads are not
	 * reordered with the ones above; a bump after the change it announces). */
	cmpq %fs:(%rdx), %rsi
	jne .Lslow
	movq %rsi, %rcx
	xorq graft_arch_fast_stamp(%rip), %rcx
	cmpq $3, %rcx
	ja .Lslow
	movq %rax, %r11
	fast_restore
	jmp *%r11
.Lslow:
	.cfi_adjust_cfa_offset 32
	fast_restore
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
