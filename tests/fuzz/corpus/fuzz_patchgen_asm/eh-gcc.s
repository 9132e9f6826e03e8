	.file	"eh.cpp"
	.text
	.section	.text.unlikely._Z1ki,"ax",@progbits
.LCOLDB0:
	.section	.text._Z1ki,"ax",@progbits
.LHOTB0:
	.p2align 4
	.globl	_Z1ki
	.section	__patchable_function_entries,"awo",@progbits,_Z1ki
	.align 8
	.quad	.LPFE1
	.section	.text._Z1ki
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
	.type	_Z1ki, @function
_Z1ki:
.LFB0:
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	.cfi_lsda 0x1b,.LLSDA0
	nop
	nop
	subq	$24, %rsp
	.cfi_def_cfa_offset 32
.LEHB0:
	call	_Z9may_throwi@PLT
.LEHE0:
	xorl	%eax, %eax
.L1:
	addq	$24, %rsp
	.cfi_remember_state
	.cfi_def_cfa_offset 8
	ret
.L5:
	.cfi_restore_state
	movq	%rax, %rdi
	movq	%rdx, %rax
	jmp	.L2
	.globl	__gxx_personality_v0
	.section	.gcc_except_table._Z1ki,"a",@progbits
	.align 4
.LLSDA0:
	.byte	0xff
	.byte	0x9b
	.uleb128 .LLSDATT0-.LLSDATTD0
.LLSDATTD0:
	.byte	0x1
	.uleb128 .LLSDACSE0-.LLSDACSB0
.LLSDACSB0:
	.uleb128 .LEHB0-.LFB0
	.uleb128 .LEHE0-.LEHB0
	.uleb128 .L5-.LFB0
	.uleb128 0x1
.LLSDACSE0:
	.byte	0x1
	.byte	0
	.align 4
	.long	DW.ref._ZTI1E-.
.LLSDATT0:
	.section	.text._Z1ki
	.cfi_endproc
	.section	.text.unlikely._Z1ki
	.cfi_startproc
	.cfi_personality 0x9b,DW.ref.__gxx_personality_v0
	.cfi_lsda 0x1b,.LLSDAC0
	.type	_Z1ki.cold, @function
_Z1ki.cold:
.LFSB0:
.L2:
	.cfi_def_cfa_offset 32
	subq	$1, %rax
	jne	.L8
	call	__cxa_begin_catch@PLT
	movl	(%rax), %eax
	movl	%eax, 12(%rsp)
	call	__cxa_end_catch@PLT
	movl	12(%rsp), %eax
	jmp	.L1
.L8:
.LEHB1:
	call	_Unwind_Resume@PLT
.LEHE1:
	.cfi_endproc
.LFE0:
	.section	.gcc_except_table._Z1ki
	.align 4
.LLSDAC0:
	.byte	0xff
	.byte	0x9b
	.uleb128 .LLSDATTC0-.LLSDATTDC0
.LLSDATTDC0:
	.byte	0x1
	.uleb128 .LLSDACSEC0-.LLSDACSBC0
.LLSDACSBC0:
	.uleb128 .LEHB1-.LCOLDB0
	.uleb128 .LEHE1-.LEHB1
	.uleb128 0
	.uleb128 0
.LLSDACSEC0:
	.byte	0x1
	.byte	0
	.align 4
	.long	DW.ref._ZTI1E-.
.LLSDATTC0:
	.section	.text.unlikely._Z1ki
	.section	.text._Z1ki
	.size	_Z1ki, .-_Z1ki
	.section	.text.unlikely._Z1ki
	.size	_Z1ki.cold, .-_Z1ki.cold
.LCOLDE0:
	.section	.text._Z1ki
.LHOTE0:
	.weak	_ZTS1E
	.section	.rodata._ZTS1E,"aG",@progbits,_ZTS1E,comdat
	.type	_ZTS1E, @object
	.size	_ZTS1E, 3
_ZTS1E:
	.string	"1E"
	.weak	_ZTI1E
	.section	.data.rel.ro._ZTI1E,"awG",@progbits,_ZTI1E,comdat
	.align 8
	.type	_ZTI1E, @object
	.size	_ZTI1E, 16
_ZTI1E:
	.quad	_ZTVN10__cxxabiv117__class_type_infoE+16
	.quad	_ZTS1E
	.hidden	DW.ref._ZTI1E
	.weak	DW.ref._ZTI1E
	.section	.data.rel.local.DW.ref._ZTI1E,"awG",@progbits,DW.ref._ZTI1E,comdat
	.align 8
	.type	DW.ref._ZTI1E, @object
	.size	DW.ref._ZTI1E, 8
DW.ref._ZTI1E:
	.quad	_ZTI1E
	.hidden	DW.ref.__gxx_personality_v0
	.weak	DW.ref.__gxx_personality_v0
	.section	.data.rel.local.DW.ref.__gxx_personality_v0,"awG",@progbits,DW.ref.__gxx_personality_v0,comdat
	.align 8
	.type	DW.ref.__gxx_personality_v0, @object
	.size	DW.ref.__gxx_personality_v0, 8
DW.ref.__gxx_personality_v0:
	.quad	__gxx_personality_v0
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
