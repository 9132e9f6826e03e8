	.text
	.file	"loop.c"
	.section	.text.sum,"ax",@progbits
	.globl	sum                             # -- Begin function sum
	.p2align	4, 0x90
	.type	sum,@function
.Ltmp0:                                 # @sum
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
sum:
.Lfunc_begin0:
	.cfi_startproc
# %bb.0:
	xchgw	%ax, %ax
	testl	%edi, %edi
	jle	.LBB0_1
# %bb.2:
	movl	%edi, %r9d
	leaq	-1(%r9), %rax
	movl	%r9d, %r8d
	andl	$3, %r8d
	cmpq	$3, %rax
	jae	.LBB0_8
# %bb.3:
	xorl	%edx, %edx
	xorl	%eax, %eax
	jmp	.LBB0_4
.LBB0_1:
	xorl	%eax, %eax
	jmp	.LBB0_7
.LBB0_8:
	andl	$-4, %r9d
	xorl	%edx, %edx
	movq	data@GOTPCREL(%rip), %rdi
	xorl	%eax, %eax
	.p2align	4, 0x90
.LBB0_9:                                # =>This Inner Loop Header: Depth=1
	movq	(%rdi,%rdx,8), %rcx
	movq	8(%rdi,%rdx,8), %rsi
	leaq	(%rcx,%rcx,2), %rcx
	addq	%rax, %rcx
	leaq	(%rsi,%rsi,2), %rax
	addq	%rcx, %rax
	movq	16(%rdi,%rdx,8), %rcx
	leaq	(%rcx,%rcx,2), %rcx
	addq	%rax, %rcx
	movq	24(%rdi,%rdx,8), %rax
	leaq	(%rax,%rax,2), %rax
	addq	%rcx, %rax
	addq	$4, %rdx
	cmpq	%rdx, %r9
	jne	.LBB0_9
.LBB0_4:
	testq	%r8, %r8
	je	.LBB0_7
# %bb.5:
	shlq	$3, %rdx
	addq	data@GOTPCREL(%rip), %rdx
	xorl	%esi, %esi
	.p2align	4, 0x90
.LBB0_6:                                # =>This Inner Loop Header: Depth=1
	movq	(%rdx,%rsi,8), %rdi
	leaq	(%rdi,%rdi,2), %rdi
	addq	%rdi, %rax
	addq	$1, %rsi
	cmpq	%rsi, %r8
	jne	.LBB0_6
.LBB0_7:
	movq	data@GOTPCREL(%rip), %rcx
	lock		addq	$1, (%rcx)
	retq
.Lfunc_end0:
	.size	sum, .Lfunc_end0-sum
	.cfi_endproc
	.section	__patchable_function_entries,"awo",@progbits,sum
	.p2align	3
	.quad	.Ltmp0
                                        # -- End function
	.ident	"Debian clang version 14.0.6"
	.section	".note.GNU-stack","",@progbits
	.addrsig
	.addrsig_sym data
