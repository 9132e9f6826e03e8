	.file	"loop.c"
	.text
	.section	.text.sum,"ax",@progbits
	.p2align 4
	.globl	sum
	.section	__patchable_function_entries,"awo",@progbits,sum
	.align 8
	.quad	.LPFE1
	.section	.text.sum
.LPFE1:
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	.type	sum, @function
sum:
.LFB0:
	.cfi_startproc
	nop
	nop
	testl	%edi, %edi
	jle	.L4
	movq	data@GOTPCREL(%rip), %r8
	movslq	%edi, %rdi
	xorl	%ecx, %ecx
	movq	%r8, %rax
	leaq	(%r8,%rdi,8), %rsi
	.p2align 4,,10
	.p2align 3
.L3:
	movq	(%rax), %rdx
	addq	$8, %rax
	leaq	(%rdx,%rdx,2), %rdx
	addq	%rdx, %rcx
	cmpq	%rsi, %rax
	jne	.L3
.L2:
	lock addq	$1, (%r8)
	movq	%rcx, %rax
	ret
	.p2align 4,,10
	.p2align 3
.L4:
	movq	data@GOTPCREL(%rip), %r8
	xorl	%ecx, %ecx
	jmp	.L2
	.cfi_endproc
.LFE0:
	.size	sum, .-sum
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
