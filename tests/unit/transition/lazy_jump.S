/* SPDX-License-Identifier: MIT */
/* lazy_jump.S - sibling calls through the PLT to functions of liblazy_target.so, which
 * test_transition binds lazily (-z lazy): until the first call, each stub's cell holds
 * its lazy half, and the thread passes PLT0 and the loader's resolver on its way. */
	.text
	.globl cs_lazy_jump
	.type cs_lazy_jump, @function
cs_lazy_jump:
	jmp lazy_target@PLT
	.size cs_lazy_jump, .-cs_lazy_jump
	.section .note.GNU-stack, "", @progbits
