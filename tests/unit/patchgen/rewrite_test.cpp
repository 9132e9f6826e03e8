// SPDX-License-Identifier: MIT
// rewrite_test.cpp - the slot rewrite, instruction form by instruction form, on small
// GCC/Clang-style assembly; and what it refuses.
#include <gtest/gtest.h>

#include "asm_rewrite.hpp"
#include "common.hpp"

using namespace graft::patchgen;

namespace {

// "T_*" symbols are the target's, "ext_*" another library's, the rest local.
Resolved classify(const std::string &sym, bool)
{
	if (sym.rfind("T_", 0) == 0)
		return {Reach::Slot, sym};
	if (sym.rfind("ext_", 0) == 0)
		return {Reach::Extern, ""};
	return {Reach::Local, ""};
}

RewriteOutput rewrite(const std::string &body)
{
	std::string text = "\t.text\n\t.type\tf, @function\nf:\n\t.cfi_startproc\n" + body +
			   "\t.cfi_endproc\n\t.size\tf, .-f\n";
	return rewrite_asm({text, "t.c", "0", {"f"}, {"f"}, {}, classify});
}

bool has(const RewriteOutput &o, const std::string &s)
{
	return o.text.find(s) != std::string::npos;
}

} // namespace

TEST(PatchgenRewrite, CallGoesThroughAStub)
{
	RewriteOutput o = rewrite("\tcall\tT_helper\n\tjmp\tT_tail@PLT\n\tcall\text_puts\n");
	EXPECT_TRUE(has(o, "\tcall\t__graft_stub_0_0")) << o.text;
	EXPECT_TRUE(has(o, "\tjmp\t__graft_stub_0_1")) << o.text;
	EXPECT_TRUE(has(o, "\tcall\text_puts@PLT")) << o.text;
	EXPECT_TRUE(has(o, "jmp\t*__graft_slot_0_0(%rip)")) << o.text;
	ASSERT_EQ(o.cells.size(), 2u);
	EXPECT_EQ(o.cells[0].target, "T_helper");
}

TEST(PatchgenRewrite, LeaAndLoadUseTheDestination)
{
	RewriteOutput o = rewrite("\tleaq\tT_table+8(%rip), %rbp\n\tmovl\tT_count(%rip), %ecx\n");
	EXPECT_TRUE(has(o, "\tmovq\t__graft_slot_0_0(%rip), %rbp\n\tleaq\t8(%rbp), %rbp\n"))
		<< o.text;
	EXPECT_TRUE(has(o, "\tmovq\t__graft_slot_0_1(%rip), %rcx\n\tmovl\t(%rcx), %ecx\n"))
		<< o.text;
}

TEST(PatchgenRewrite, StoreKeepsTheRedZoneAndTheCfa)
{
	RewriteOutput o = rewrite("\taddl\t$10, T_counter(%rip)\n");
	EXPECT_TRUE(has(o, "\tleaq\t-128(%rsp), %rsp\n\t.cfi_adjust_cfa_offset 128\n\tpushq\t%r11\n"
			   "\t.cfi_adjust_cfa_offset 8\n\tmovq\t__graft_slot_0_0(%rip), %r11\n"
			   "\taddl\t$10, (%r11)\n\tpopq\t%r11\n\t.cfi_adjust_cfa_offset -8\n"
			   "\tleaq\t128(%rsp), %rsp\n\t.cfi_adjust_cfa_offset -128\n"))
		<< o.text;
}

TEST(PatchgenRewrite, NoCfaAdjustmentWhenTheFrameIsRbpBased)
{
	RewriteOutput o = rewrite("\t.cfi_def_cfa_register %rbp\n\tmovb\t$1, T_flag(%rip)\n");
	EXPECT_TRUE(has(o, "movb\t$1, (%r11)")) << o.text;
	EXPECT_FALSE(has(o, ".cfi_adjust_cfa_offset")) << o.text;
}

TEST(PatchgenRewrite, ScratchAvoidsRegistersTheInstructionUses)
{
	RewriteOutput o = rewrite("\tmovq\t%r11, T_v(%rip)\n");
	EXPECT_TRUE(has(o, "movq\t%r11, (%r10)")) << o.text;
}

TEST(PatchgenRewrite, LockPrefixOnItsOwnLineStaysWithItsInstruction)
{
	RewriteOutput o = rewrite("\tlock\n\tincl\tT_n(%rip)\n");
	EXPECT_TRUE(has(o, "\tlock incl\t(%r11)")) << o.text;
}

TEST(PatchgenRewrite, GotEntriesBecomeSlotsAndExternDataGoesThroughTheGot)
{
	RewriteOutput o =
		rewrite("\tmovq\tT_p@GOTPCREL(%rip), %rax\n\tmovq\text_stdout(%rip), %rdi\n");
	EXPECT_TRUE(has(o, "\tmovq\t__graft_slot_0_0(%rip), %rax")) << o.text;
	EXPECT_TRUE(has(o, "\tmovq\text_stdout@GOTPCREL(%rip), %rdi\n\tmovq\t(%rdi), %rdi"))
		<< o.text;
}

TEST(PatchgenRewrite, IndirectCallThroughATargetPointer)
{
	RewriteOutput o = rewrite("\tcall\t*T_hook(%rip)\n");
	EXPECT_TRUE(has(o, "\tmovq\t__graft_slot_0_0(%rip), %r11\n\tcall\t*(%r11)")) << o.text;
}

TEST(PatchgenRewrite, OnlyTheChangedFunctionIsRewritten)
{
	std::string text = "g:\n\tmovl\tT_count(%rip), %eax\n\t.size\tg, .-g\n";
	RewriteOutput o = rewrite_asm({text, "t.c", "0", {"f"}, {}, {}, classify});
	EXPECT_TRUE(has(o, "\tmovl\tT_count(%rip), %eax")) << o.text;
	EXPECT_TRUE(o.cells.empty());
}

TEST(PatchgenRewrite, RefusesWhatItDoesNotKnow)
{
	EXPECT_THROW(rewrite("\tpushq\tT_v(%rip)\n"), Refusal);		   // moves the stack
	EXPECT_THROW(rewrite("\tmovl\t$T_v, %eax\n"), Refusal);		   // non-PIC immediate
	EXPECT_THROW(rewrite("\tmovl\tT_v(,%rax,4), %eax\n"), Refusal);	   // absolute address
	EXPECT_THROW(rewrite("\tmovl\t%fs:T_tls@tpoff, %eax\n"), Refusal); // target TLS
	EXPECT_THROW(rewrite("\tmovl\tT_v*2(%rip), %eax\n"), Refusal);	   // unknown expression
	try {
		rewrite("\tpushq\tT_v(%rip)\n");
	} catch (const Refusal &e) {
		EXPECT_NE(std::string(e.what()).find("t.c: function 'f'"), std::string::npos)
			<< e.what();
	}
}

TEST(PatchgenRewrite, StartupSectionsAreDropped)
{
	std::string text = "\t.section\t.init_array,\"aw\"\n\t.quad\tinit\n\t.text\n";
	RewriteOutput o = rewrite_asm({text, "t.c", "0", {}, {}, {}, classify});
	EXPECT_FALSE(has(o, ".init_array")) << o.text;
	EXPECT_FALSE(has(o, "\t.quad\tinit")) << o.text;
}

// Issue 21: a prefix on the instruction's own line was written twice ("rep rep stosq",
// "lock lock xaddl"), which GNU as refuses.
TEST(PatchgenRewrite, PrefixesOnTheInstructionsLineAreWrittenOnce)
{
	RewriteOutput o = rewrite("\trep stosq\n\tlock xaddl\t%eax, local_n(%rip)\n"
				  "\trep; movsb\n\tlock addl\t$1, T_n(%rip)\n");
	EXPECT_TRUE(has(o, "\trep stosq\n")) << o.text;
	EXPECT_TRUE(has(o, "\tlock xaddl\t%eax, local_n(%rip)\n")) << o.text;
	EXPECT_TRUE(has(o, "\trep movsb\n")) << o.text;
	EXPECT_TRUE(has(o, "\tlock addl\t$1, (%r11)\n")) << o.text;
	EXPECT_FALSE(has(o, "rep rep")) << o.text;
	EXPECT_FALSE(has(o, "lock lock")) << o.text;
}

// Issue 13, found by tests/fuzz/fuzz_patchgen_asm: malformed directives threw
// std::out_of_range (a flags string without its closing quote), read past an empty
// operand list (".cfi_def_cfa_register", ".size" with no operand) or overflowed the
// offset sum. Each is kept for the assembler to judge or refused with a Refusal.
TEST(PatchgenRewrite, MalformedDirectivesAreKeptOrRefusedNeverACrash)
{
	RewriteOutput o = rewrite("\t.section\t.text.h,\"ax\n\t.cfi_def_cfa_register\n\t.size\n"
				  "\tmovl\tT_count(%rip), %ecx\n");
	EXPECT_TRUE(has(o, "\t.section\t.text.h,\"ax\n")) << o.text;
	EXPECT_TRUE(has(o, "\tmovq\t__graft_slot_0_0(%rip), %rcx\n")) << o.text;
	EXPECT_THROW(rewrite("\tmovl\tT_v+9223372036854775807+1(%rip), %eax\n"), Refusal);
	EXPECT_THROW(rewrite("\tmovl\tT_v-9223372036854775807-2(%rip), %eax\n"), Refusal);
}
