	.text
	.file	"calls.c"
	.section	.text.f,"ax",@progbits
	.globl	f                               # -- Begin function f
	.p2align	4, 0x90
	.type	f,@function
.Ltmp0:                                 # @f
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
f:
.Lfunc_begin0:
	.cfi_startproc
# %bb.0:
	xchgw	%ax, %ax
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	movl	%edi, %ebx
	movq	counter@GOTPCREL(%rip), %rax
	addl	%edi, (%rax)
	callq	helper@PLT
	andl	$3, %ebx
	movq	table@GOTPCREL(%rip), %rcx
	addl	(%rcx,%rbx,4), %eax
	addl	local_total(%rip), %eax
	movl	%eax, local_total(%rip)
	popq	%rbx
	.cfi_def_cfa_offset 8
	retq
.Lfunc_end0:
	.size	f, .Lfunc_end0-f
	.cfi_endproc
	.section	__patchable_function_entries,"awo",@progbits,f
	.p2align	3
	.quad	.Ltmp0
                                        # -- End function
	.type	table,@object                   # @table
	.section	.data.table,"aw",@progbits
	.globl	table
	.p2align	4
table:
	.long	1                               # 0x1
	.long	2                               # 0x2
	.long	3                               # 0x3
	.long	4                               # 0x4
	.size	table, 16

	.type	local_total,@object             # @local_total
	.section	.bss.local_total,"aw",@nobits
	.p2align	2
local_total:
	.long	0                               # 0x0
	.size	local_total, 4

	.ident	"Debian clang version 14.0.6"
	.section	".note.GNU-stack","",@progbits
	.addrsig
