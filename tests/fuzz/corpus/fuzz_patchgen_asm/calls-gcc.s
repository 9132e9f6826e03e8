	.file	"calls.c"
	.text
	.section	.text.f,"ax",@progbits
	.p2align 4
	.globl	f
	.section	__patchable_function_entries,"awo",@progbits,f
	.align 8
	.quad	.LPFE1
	.section	.text.f
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
	.type	f, @function
f:
.LFB0:
	.cfi_startproc
	nop
	nop
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	movq	counter@GOTPCREL(%rip), %rax
	movl	%edi, %ebx
	andl	$3, %ebx
	addl	%edi, (%rax)
	call	helper@PLT
	movq	table@GOTPCREL(%rip), %rdx
	addl	(%rdx,%rbx,4), %eax
	addl	local_total(%rip), %eax
	movl	%eax, local_total(%rip)
	popq	%rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
.LFE0:
	.size	f, .-f
	.globl	table
	.section	.data.table,"aw"
	.align 16
	.type	table, @object
	.size	table, 16
table:
	.long	1
	.long	2
	.long	3
	.long	4
	.section	.bss.local_total,"aw",@nobits
	.align 4
	.type	local_total, @object
	.size	local_total, 4
local_total:
	.zero	4
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
