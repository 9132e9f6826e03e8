	.file	"tls_switch.c"
	.text
	.section	.text.unlikely.g,"ax",@progbits
.LCOLDB0:
	.section	.text.g,"ax",@progbits
.LHOTB0:
	.p2align 4
	.globl	g
	.section	__patchable_function_entries,"awo",@progbits,g
	.align 8
	.quad	.LPFE1
	.section	.text.g
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
	.type	g, @function
g:
.LFB0:
	.cfi_startproc
	nop
	nop
	pushq	%r12
	.cfi_def_cfa_offset 16
	.cfi_offset 12, -16
	movq	%rsi, %r12
	pushq	%rbp
	.cfi_def_cfa_offset 24
	.cfi_offset 6, -24
	pushq	%rbx
	.cfi_def_cfa_offset 32
	.cfi_offset 3, -32
	movl	%edi, %ebx
	leaq	mine@tlsld(%rip), %rdi
	call	__tls_get_addr@PLT
	movl	mine@dtpoff(%rax), %ecx
	leal	1(%rcx), %ebp
	movl	%ebp, mine@dtpoff(%rax)
	data16	leaq	tls_count@tlsgd(%rip), %rdi
	.value	0x6666
	rex64
	call	__tls_get_addr@PLT
	addl	$1, (%rax)
	cmpl	$4, %ebx
	ja	.L9
	leaq	.L4(%rip), %rdx
	movslq	(%rdx,%rbx,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
	.section	.rodata.g,"a",@progbits
	.align 4
	.align 4
.L4:
	.long	.L8-.L4
	.long	.L7-.L4
	.long	.L6-.L4
	.long	.L5-.L4
	.long	.L1-.L4
	.section	.text.g
	.p2align 4,,10
	.p2align 3
.L6:
	movl	20(%r12), %ebp
	subl	$1, %ebp
.L1:
	movl	%ebp, %eax
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 24
	popq	%rbp
	.cfi_def_cfa_offset 16
	popq	%r12
	.cfi_def_cfa_offset 8
	ret
	.p2align 4,,10
	.p2align 3
.L5:
	.cfi_restore_state
	movl	28(%r12), %ebp
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 24
	xorl	$9, %ebp
	movl	%ebp, %eax
	popq	%rbp
	.cfi_def_cfa_offset 16
	popq	%r12
	.cfi_def_cfa_offset 8
	ret
	.p2align 4,,10
	.p2align 3
.L8:
	.cfi_restore_state
	movl	4(%r12), %ebp
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 24
	movl	%ebp, %eax
	popq	%rbp
	.cfi_def_cfa_offset 16
	popq	%r12
	.cfi_def_cfa_offset 8
	ret
	.p2align 4,,10
	.p2align 3
.L7:
	.cfi_restore_state
	movl	12(%r12), %eax
	popq	%rbx
	.cfi_def_cfa_offset 24
	leal	0(,%rax,8), %ebp
	subl	%eax, %ebp
	movl	%ebp, %eax
	popq	%rbp
	.cfi_def_cfa_offset 16
	popq	%r12
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.section	.text.unlikely.g
	.cfi_startproc
	.type	g.cold, @function
g.cold:
.LFSB0:
.L9:
	.cfi_def_cfa_offset 32
	.cfi_offset 3, -32
	.cfi_offset 6, -24
	.cfi_offset 12, -16
	movl	%ebx, %ebp
	jmp	.L1
	.cfi_endproc
.LFE0:
	.section	.text.g
	.size	g, .-g
	.section	.text.unlikely.g
	.size	g.cold, .-g.cold
.LCOLDE0:
	.section	.text.g
.LHOTE0:
	.section	.tbss.mine,"awT",@nobits
	.align 4
	.type	mine, @object
	.size	mine, 4
mine:
	.zero	4
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
