/* SPDX-License-Identifier: MIT */
/* call_corpus.S - call encodings the scans must recognise (E8 and every FF /2 form the
 * compilers emit: register, memory with and without SIB, disp8/disp32, rip-relative,
 * REX prefixes, notrack), each followed by a label: the return address it would push.
 * Never executed; graft_corpus_rets lists the labels, graft_corpus_lo the start. */
	.text
	.globl graft_corpus_lo
graft_corpus_lo:
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
	call graft_corpus_lo
1:	call *%rax
2:	call *%r11
3:	call *(%rax)
4:	call *8(%rax)
5:	call *0x100(%rax)
6:	call *(%rsp)
7:	call *8(%rsp)
8:	call *0x200(%rsp)
9:	call *(%rax,%rbx,8)
10:	call *0x10(%rax,%rbx,8)
11:	call *0x1000(,%rax,8)
12:	call *graft_corpus_lo(%rip)
13:	call *8(%r12)
14:	call *0x18(%r13,%r14,2)
15:	notrack call *%rdx
16:	call *(%rbp)
17:	call *%r15
18:	nop
	nop
	nop
	nop
	nop
	nop
	nop
	nop
19:	ret
	.section .data.rel.ro, "aw"
	.globl graft_corpus_rets
graft_corpus_rets:
	.quad 1b, 2b, 3b, 4b, 5b, 6b, 7b, 8b, 9b, 10b, 11b, 12b, 13b, 14b, 15b, 16b, 17b, 18b
	.quad 0
	.globl graft_corpus_not_rets
graft_corpus_not_rets:
	.quad 19b, graft_corpus_lo + 4
	.quad 0
	.section .note.GNU-stack, "", @progbits
