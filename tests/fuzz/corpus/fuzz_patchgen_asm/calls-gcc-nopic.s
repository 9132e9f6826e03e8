	.file	"calls.c"
	.text
	.section	.text.f,"ax",@progbits
	.p2align 4
	.globl	f
	.type	f, @function
f:
.LFB0:
	.cfi_startproc
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	movl	%edi, %ebx
	andl	$3, %ebx
	addl	%edi, counter(%rip)
	call	helper
	addl	table(,%rbx,4), %eax
	popq	%rbx
	.cfi_def_cfa_offset 8
	addl	local_total(%rip), %eax
	movl	%eax, local_total(%rip)
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
