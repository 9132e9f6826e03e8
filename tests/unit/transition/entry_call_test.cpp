// SPDX-License-Identifier: MIT
// entry_call_test.cpp - the entry self-switch's rule: decoding the call before a return
// address, PLT entries, and arrived_by_call on calls this build's compiler made (direct:
// yes; through a register: not provable, no; a sibling call: no).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "transition/entry_call.hpp"
#include "transition/stack_check.hpp"

extern "C" {
extern uintptr_t cs_ret, cs_slot;
extern void (*volatile cs_hook)(uintptr_t slot);
long cs_probe(long x);
long cs_call_direct(long x);
long cs_call_register(long x);
long cs_call_sibling(long x);
}

namespace tr = graft::transition;

namespace {

TEST(DecodeCallBefore, DirectCall)
{
	const uint8_t b[7] = {0x90, 0x90, 0xe8, 0x10, 0x00, 0x00, 0x00};
	tr::CallBefore c = tr::decode_call_before(b, 0x1000);
	EXPECT_EQ(c.form, tr::CallForm::direct);
	EXPECT_EQ(c.target, 0x1010u);
	const uint8_t back[7] = {0x90, 0x90, 0xe8, 0xf0, 0xff, 0xff, 0xff};
	EXPECT_EQ(tr::decode_call_before(back, 0x1000).target, 0xff0u);
}

TEST(DecodeCallBefore, CallThroughARipRelativeCell)
{
	const uint8_t b[7] = {0x90, 0xff, 0x15, 0x00, 0x01, 0x00, 0x00};
	tr::CallBefore c = tr::decode_call_before(b, 0x2000);
	EXPECT_EQ(c.form, tr::CallForm::via_cell);
	EXPECT_EQ(c.cell, 0x2100u);
	// Its disp32 may start with an E8 byte: the longer form wins.
	const uint8_t e8[7] = {0x90, 0xff, 0x15, 0xe8, 0x00, 0x00, 0x00};
	EXPECT_EQ(tr::decode_call_before(e8, 0x2000).form, tr::CallForm::via_cell);
}

TEST(DecodeCallBefore, RegisterAndOtherFormsAreNotProvable)
{
	const uint8_t reg[7] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0}; // call *%rax
	EXPECT_EQ(tr::decode_call_before(reg, 0x1000).form, tr::CallForm::none);
	const uint8_t mem[7] = {0x90, 0x90, 0x90, 0x90, 0xff, 0x50, 0x08}; // call *8(%rax)
	EXPECT_EQ(tr::decode_call_before(mem, 0x1000).form, tr::CallForm::none);
}

TEST(DecodePltJump, TheFormsGlibcAndBinutilsEmit)
{
	uintptr_t cell = 0;
	uint8_t plt[16] = {0xff, 0x25, 0x10, 0x00, 0x00, 0x00, 0x68, 0, 0, 0, 0, 0xe9};
	ASSERT_TRUE(tr::decode_plt_jump(plt, 0x3000, &cell)); // .plt: jmp *GOT(%rip)
	EXPECT_EQ(cell, 0x3016u);
	uint8_t sec[16] = {0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff, 0x25, 0x20, 0x00, 0x00, 0x00};
	ASSERT_TRUE(tr::decode_plt_jump(sec, 0x4000, &cell)); // .plt.sec: endbr64; bnd jmp
	EXPECT_EQ(cell, 0x4000u + 11 + 0x20);
	uint8_t code[16] = {0x55, 0x48, 0x89, 0xe5};
	EXPECT_FALSE(tr::decode_plt_jump(code, 0x5000, &cell)); // push %rbp: a function
}

// Asked inside cs_probe (through cs_hook), while the return address is on the stack.
tr::CheckSet g_set;
int g_arrived = -1;
bool g_slot_ok = false;

void ask_inside(uintptr_t slot)
{
	g_slot_ok = *reinterpret_cast<uintptr_t *>(slot) == cs_ret;
	g_arrived = tr::arrived_by_call(g_set, slot, reinterpret_cast<uintptr_t>(cs_probe));
}

class ArrivedByCall : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(g_set.read_maps());
		g_arrived = -1;
		cs_hook = ask_inside;
	}
	void TearDown() override { cs_hook = nullptr; }
	bool arrived() const
	{
		EXPECT_TRUE(g_slot_ok) << "the probe's slot does not hold its return address";
		EXPECT_NE(g_arrived, -1);
		return g_arrived == 1;
	}
};

TEST_F(ArrivedByCall, ADirectCallIsProof)
{
	cs_call_direct(1);
	EXPECT_TRUE(arrived());
}

TEST_F(ArrivedByCall, ACallThroughARegisterIsNot)
{
	cs_call_register(1);
	EXPECT_FALSE(arrived());
}

TEST_F(ArrivedByCall, ASiblingCallIsNot)
{
	// cs_call_sibling ends in jmp cs_probe: the return address is this test's, after
	// its call to cs_call_sibling.
	cs_call_sibling(1);
	// The premise: the probe did not return into cs_call_sibling. ThreadSanitizer's
	// function-exit hook turns the jump back into a call; that build proves nothing here.
	uintptr_t from = reinterpret_cast<uintptr_t>(cs_call_sibling);
	if (cs_ret > from && cs_ret - from < 256)
		GTEST_SKIP() << "this build made cs_call_sibling's last call a real call";
	EXPECT_FALSE(arrived());
}

TEST_F(ArrivedByCall, UnreadableMemoryIsNoProof)
{
	uintptr_t slot = 0x10; // page zero: outside every mapping
	EXPECT_FALSE(tr::arrived_by_call(g_set, slot, reinterpret_cast<uintptr_t>(cs_probe)));
}

// A sibling call through the PLT (`jmp f@plt`) leaves the thread in the stub with the
// jumping function's frame gone: the stack holds no patched return address, yet the
// thread is logically inside f. Its verdict is running_in f (seen: one thread in 98
// million calls mixed versions in Copies/Sibling .../pfe's plt shape, caught in the stub).
uintptr_t g_cell;
uint8_t g_stub[16];

tr::CheckResult check_at_stub(size_t offset, uintptr_t fn)
{
	g_cell = fn;
	// endbr64; bnd jmp *g_cell(%rip), as in a .plt.sec entry.
	const uint8_t head[7] = {0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff, 0x25};
	std::memcpy(g_stub, head, sizeof head);
	auto disp = int32_t(reinterpret_cast<intptr_t>(&g_cell) -
			    reinterpret_cast<intptr_t>(g_stub + 11));
	std::memcpy(g_stub + 7, &disp, sizeof disp);
	tr::CheckSet set;
	auto probe = reinterpret_cast<uintptr_t>(cs_probe);
	set.add(probe, probe + 1, "cs_probe");
	set.sort();
	EXPECT_TRUE(set.read_maps());
	uintptr_t stack[32] = {}; // a stack with no return address on it
	auto lo = reinterpret_cast<uintptr_t>(stack);
	return tr::check_stack_to(set, reinterpret_cast<uintptr_t>(g_stub) + offset, lo,
				  lo + sizeof stack);
}

TEST(PltStub, AThreadInAStubToAPatchedFunctionRunsIt)
{
	auto probe = reinterpret_cast<uintptr_t>(cs_probe);
	EXPECT_EQ(check_at_stub(0, probe).verdict, tr::Verdict::running_in); // at endbr64
	EXPECT_EQ(check_at_stub(4, probe).verdict, tr::Verdict::running_in); // at bnd jmp
}

TEST(PltStub, AStubToAnotherFunctionIsClean)
{
	auto other = reinterpret_cast<uintptr_t>(cs_call_direct);
	EXPECT_EQ(check_at_stub(0, other).verdict, tr::Verdict::clean);
	EXPECT_EQ(check_at_stub(4, other).verdict, tr::Verdict::clean);
}

} // namespace
