	.file	"cold.c"
	.text
	.section	.text.h,"ax",@progbits
	.p2align 4
	.globl	h
	.section	__patchable_function_entries,"awo",@progbits,h
	.align 8
	.quad	.LPFE1
	.section	.text.h
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
	.type	h, @function
h:
.LFB0:
	.cfi_startproc
	nop
	nop
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	movl	%edi, %ebx
	testl	%edi, %edi
	js	.L5
	movq	hook@GOTPCREL(%rip), %rax
	call	*(%rax)
	movl	$1, %eax
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 8
	ret
	.p2align 4,,10
	.p2align 3
.L5:
	.cfi_restore_state
	movq	names@GOTPCREL(%rip), %rax
	movq	8(%rax), %rdi
	call	report@PLT
	movl	%ebx, %edi
	call	die@PLT
	.cfi_endproc
.LFE0:
	.size	h, .-h
	.globl	names
	.section	.rodata.str1.1,"aMS",@progbits,1
.LC0:
	.string	"a"
.LC1:
	.string	"b"
	.section	.data.rel.local.names,"aw"
	.align 16
	.type	names, @object
	.size	names, 16
names:
	.quad	.LC0
	.quad	.LC1
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
