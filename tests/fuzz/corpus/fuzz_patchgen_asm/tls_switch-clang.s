	.text
	.file	"tls_switch.c"
	.section	.text.g,"ax",@progbits
	.globl	g                               # -- Begin function g
	.p2align	4, 0x90
	.type	g,@function
.Ltmp0:                                 # @g
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
g:
.Lfunc_begin0:
	.cfi_startproc
# %bb.0:
	xchgw	%ax, %ax
	pushq	%rbp
	.cfi_def_cfa_offset 16
	pushq	%r14
	.cfi_def_cfa_offset 24
	pushq	%rbx
	.cfi_def_cfa_offset 32
	.cfi_offset %rbx, -32
	.cfi_offset %r14, -24
	.cfi_offset %rbp, -16
	movq	%rsi, %r14
	movl	%edi, %ebp
	leaq	mine@TLSLD(%rip), %rdi
	callq	__tls_get_addr@PLT
	movl	mine@DTPOFF(%rax), %ebx
	addl	$1, %ebx
	movl	%ebx, mine@DTPOFF(%rax)
	data16
	leaq	tls_count@TLSGD(%rip), %rdi
	data16
	data16
	rex64
	callq	__tls_get_addr@PLT
	addl	$1, (%rax)
	cmpl	$4, %ebp
	ja	.LBB0_1
# %bb.2:
	movl	%ebp, %eax
	leaq	.LJTI0_0(%rip), %rcx
	movslq	(%rcx,%rax,4), %rax
	addq	%rcx, %rax
	jmpq	*%rax
.LBB0_3:
	movl	4(%r14), %ebx
	jmp	.LBB0_7
.LBB0_1:
	movl	%ebp, %ebx
	jmp	.LBB0_7
.LBB0_4:
	movl	12(%r14), %eax
	leal	(,%rax,8), %ebx
	subl	%eax, %ebx
	jmp	.LBB0_7
.LBB0_5:
	movl	20(%r14), %ebx
	addl	$-1, %ebx
	jmp	.LBB0_7
.LBB0_6:
	movl	28(%r14), %ebx
	xorl	$9, %ebx
.LBB0_7:
	movl	%ebx, %eax
	popq	%rbx
	.cfi_def_cfa_offset 24
	popq	%r14
	.cfi_def_cfa_offset 16
	popq	%rbp
	.cfi_def_cfa_offset 8
	retq
.Lfunc_end0:
	.size	g, .Lfunc_end0-g
	.cfi_endproc
	.section	.rodata.g,"a",@progbits
	.p2align	2
.LJTI0_0:
	.long	.LBB0_3-.LJTI0_0
	.long	.LBB0_4-.LJTI0_0
	.long	.LBB0_5-.LJTI0_0
	.long	.LBB0_6-.LJTI0_0
	.long	.LBB0_7-.LJTI0_0
	.section	__patchable_function_entries,"awo",@progbits,g
	.p2align	3
	.quad	.Ltmp0
                                        # -- End function
	.type	mine,@object                    # @mine
	.section	.tbss.mine,"awT",@nobits
	.p2align	2
mine:
	.long	0                               # 0x0
	.size	mine, 4

	.ident	"Debian clang version 14.0.6"
	.section	".note.GNU-stack","",@progbits
	.addrsig
