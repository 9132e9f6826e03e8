	.text
	.file	"eh.cpp"
	.section	.text._Z1ki,"ax",@progbits
	.globl	_Z1ki                           # -- Begin function _Z1ki
	.p2align	4, 0x90
	.type	_Z1ki,@function
.Ltmp3:                                 # @_Z1ki
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
_Z1ki:
.Lfunc_begin0:
	.cfi_startproc
	.cfi_personality 155, DW.ref.__gxx_personality_v0
	.cfi_lsda 27, .Lexception0
# %bb.0:
	xchgw	%ax, %ax
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	xorl	%ebx, %ebx
.Ltmp0:
	callq	_Z9may_throwi@PLT
.Ltmp1:
.LBB0_2:
	movl	%ebx, %eax
	popq	%rbx
	.cfi_def_cfa_offset 8
	retq
.LBB0_1:
	.cfi_def_cfa_offset 16
.Ltmp2:
	movq	%rax, %rdi
	callq	__cxa_begin_catch@PLT
	movl	(%rax), %ebx
	callq	__cxa_end_catch@PLT
	jmp	.LBB0_2
.Lfunc_end0:
	.size	_Z1ki, .Lfunc_end0-_Z1ki
	.cfi_endproc
	.section	.gcc_except_table._Z1ki,"a",@progbits
	.p2align	2
GCC_except_table0:
.Lexception0:
	.byte	255                             # @LPStart Encoding = omit
	.byte	155                             # @TType Encoding = indirect pcrel sdata4
	.uleb128 .Lttbase0-.Lttbaseref0
.Lttbaseref0:
	.byte	1                               # Call site Encoding = uleb128
	.uleb128 .Lcst_end0-.Lcst_begin0
.Lcst_begin0:
	.uleb128 .Ltmp0-.Lfunc_begin0           # >> Call Site 1 <<
	.uleb128 .Ltmp1-.Ltmp0                  #   Call between .Ltmp0 and .Ltmp1
	.uleb128 .Ltmp2-.Lfunc_begin0           #     jumps to .Ltmp2
	.byte	1                               #   On action: 1
	.uleb128 .Ltmp1-.Lfunc_begin0           # >> Call Site 2 <<
	.uleb128 .Lfunc_end0-.Ltmp1             #   Call between .Ltmp1 and .Lfunc_end0
	.byte	0                               #     has no landing pad
	.byte	0                               #   On action: cleanup
.Lcst_end0:
	.byte	1                               # >> Action Record 1 <<
                                        #   Catch TypeInfo 1
	.byte	0                               #   No further actions
	.p2align	2
                                        # >> Catch TypeInfos <<
.Ltmp4:                                 # TypeInfo 1
	.long	.L_ZTI1E.DW.stub-.Ltmp4
.Lttbase0:
	.p2align	2
	.section	__patchable_function_entries,"awo",@progbits,_Z1ki
	.p2align	3
	.quad	.Ltmp3
                                        # -- End function
	.type	_ZTS1E,@object                  # @_ZTS1E
	.section	.rodata._ZTS1E,"aG",@progbits,_ZTS1E,comdat
	.weak	_ZTS1E
_ZTS1E:
	.asciz	"1E"
	.size	_ZTS1E, 3

	.type	_ZTI1E,@object                  # @_ZTI1E
	.section	.data.rel.ro._ZTI1E,"aGw",@progbits,_ZTI1E,comdat
	.weak	_ZTI1E
	.p2align	3
_ZTI1E:
	.quad	_ZTVN10__cxxabiv117__class_type_infoE+16
	.quad	_ZTS1E
	.size	_ZTI1E, 16

	.data
	.p2align	3
.L_ZTI1E.DW.stub:
	.quad	_ZTI1E
	.hidden	DW.ref.__gxx_personality_v0
	.weak	DW.ref.__gxx_personality_v0
	.section	.data.DW.ref.__gxx_personality_v0,"aGw",@progbits,DW.ref.__gxx_personality_v0,comdat
	.p2align	3
	.type	DW.ref.__gxx_personality_v0,@object
	.size	DW.ref.__gxx_personality_v0, 8
DW.ref.__gxx_personality_v0:
	.quad	__gxx_personality_v0
	.ident	"Debian clang version 14.0.6"
	.section	".note.GNU-stack","",@progbits
	.addrsig
	.addrsig_sym __gxx_personality_v0
	.addrsig_sym _ZTVN10__cxxabiv117__class_type_infoE
	.addrsig_sym _ZTS1E
	.addrsig_sym _ZTI1E
