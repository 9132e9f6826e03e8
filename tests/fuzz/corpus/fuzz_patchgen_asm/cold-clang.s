	.text
	.file	"cold.c"
	.section	.text.h,"ax",@progbits
	.globl	h                               # -- Begin function h
	.p2align	4, 0x90
	.type	h,@function
.Ltmp0:                                 # @h
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
h:
.Lfunc_begin0:
	.cfi_startproc
# %bb.0:
	xchgw	%ax, %ax
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	movl	%edi, %ebx
	testl	%edi, %edi
	js	.LBB0_2
# %bb.1:
	movq	hook@GOTPCREL(%rip), %rax
	movl	%ebx, %edi
	callq	*(%rax)
	movl	$1, %eax
	popq	%rbx
	.cfi_def_cfa_offset 8
	retq
.LBB0_2:
	.cfi_def_cfa_offset 16
	movq	names@GOTPCREL(%rip), %rax
	movq	8(%rax), %rdi
	callq	report@PLT
	movl	%ebx, %edi
	callq	die@PLT
.Lfunc_end0:
	.size	h, .Lfunc_end0-h
	.cfi_endproc
	.section	__patchable_function_entries,"awo",@progbits,h
	.p2align	3
	.quad	.Ltmp0
                                        # -- End function
	.type	.L.str,@object                  # @.str
	.section	.rodata.str1.1,"aMS",@progbits,1
.L.str:
	.asciz	"a"
	.size	.L.str, 2

	.type	.L.str.1,@object                # @.str.1
.L.str.1:
	.asciz	"b"
	.size	.L.str.1, 2

	.type	names,@object                   # @names
	.section	.data.names,"aw",@progbits
	.globl	names
	.p2align	4
names:
	.quad	.L.str
	.quad	.L.str.1
	.size	names, 16

	.ident	"Debian clang version 14.0.6"
	.section	".note.GNU-stack","",@progbits
	.addrsig
