/* SPDX-License-Identifier: MIT */
/* fcontext_resume.S - graft_fc_resume: where a tracked jump_fcontext lands on the
 * incoming stack (fcontext.cpp). The interposer ends in a tail call of the real
 * ontop_fcontext(to, vp, graft_fc_resume), which switches stacks and jumps here with the
 * transfer in rdi:rsi and, at (%rsp), the resumed side's own return address: into the
 * program after its jump_fcontext/ontop_fcontext call, or Boost's trampoline for a context
 * that starts (make_fcontext). graft_fc_arrive ends the switch and translates the
 * transfer; the stub then leaves as Boost's jump_fcontext does, with pop + an indirect
 * jmp. A ret here would be predicted from the return stack buffer, whose top is the
 * outgoing side's call of jump_fcontext, a different place: one misprediction a switch
 * (most of a tracked switch's cost before, issue 17). */
	.text
	.p2align 4
	.globl graft_fc_resume
	.hidden graft_fc_resume
	.type graft_fc_resume, @function
graft_fc_resume:
	.cfi_startproc
	endbr64
	sub $8, %rsp                 /* entered as a function: 16-byte aligned for the call */
	.cfi_adjust_cfa_offset 8
	call graft_fc_arrive         /* transfer_t graft_fc_arrive(fcontext_t, void *) */
	add $8, %rsp
	.cfi_adjust_cfa_offset -8
	/* The result in rax:rdx (a resumed jump_fcontext's return value) and in rdi:rsi: a
	 * starting context's trampoline passes rdi:rsi to its function (graft's entry). */
	movq %rax, %rdi
	movq %rdx, %rsi
	popq %r8
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %r8
	jmp *%r8
	.cfi_endproc
	.size graft_fc_resume, .-graft_fc_resume
	/* Its end, for the stack check (note_switch_routine in fcontext.cpp): between the pop
	 * and the jmp the resumed side's return address is in r8, on no stack. */
	.globl graft_fc_resume_end
	.hidden graft_fc_resume_end
graft_fc_resume_end:

	.section .note.GNU-stack, "", @progbits
