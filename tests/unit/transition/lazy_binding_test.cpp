// SPDX-License-Identifier: MIT
// lazy_binding_test.cpp - a thread on the lazy binding path of a sibling call through the
// PLT (`jmp f@plt` before f's first call) has no patched frame and no PC in a patched
// function, yet is logically inside f: each point of the path must count as running
// (lazy_binding.hpp). On this binary's own PLT (linked -z lazy) and on the IBT layout
// built in memory; with the controls that a bound stub and ordinary code are judged as
// before.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <elf.h>
#include <sys/auxv.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "transition/entry_call.hpp"
#include "transition/lazy_binding.hpp"
#include "transition/stack_check.hpp"

extern "C" {
long cs_lazy_jump(long x);
long cs_call_direct(long x);
}

namespace tr = graft::transition;

namespace {

int32_t rd32(uintptr_t at)
{
	int32_t v;
	std::memcpy(&v, reinterpret_cast<const void *>(at), 4);
	return v;
}

struct Verdict {
	tr::Verdict verdict;
	std::string in; // the range it names, if any
};

// The checks of a thread at pc with a stack holding no return address, in a round that
// patches only (lo, hi) (empty: nothing).
Verdict check_at(uintptr_t pc, uintptr_t lo = 0, uintptr_t hi = 0)
{
	tr::CheckSet set;
	set.add(lo, hi, "patched");
	set.sort();
	EXPECT_TRUE(set.read_maps());
	uintptr_t stack[32] = {};
	auto sp = reinterpret_cast<uintptr_t>(stack);
	tr::CheckResult r = tr::check_stack_to(set, pc, sp, sp + sizeof stack);
	return {r.verdict, r.name >= 0 ? set.names[size_t(r.name)] : ""};
}

bool on_lazy_path(const Verdict &v)
{
	tr::CheckSet set;
	set.sort();
	return v.verdict == tr::Verdict::running_in &&
	       v.in == set.names[size_t(set.lazy_path.name)];
}

// Looked up, not taken with &: an address taken in this binary would give lazy_target a
// GOT entry, and its PLT stub would jump through that, bound at start (.plt.got).
// Code of the loader's own: its entry point, from its ELF header at AT_BASE (not a
// symbol: AddressSanitizer interposes __tls_get_addr, the loader's best-known one).
void *loader_function()
{
	auto base = getauxval(AT_BASE);
	if (!base)
		return nullptr;
	return reinterpret_cast<void *>(base + reinterpret_cast<const Elf64_Ehdr *>(base)->e_entry);
}

uintptr_t target_lo()
{
	return reinterpret_cast<uintptr_t>(dlsym(RTLD_DEFAULT, "lazy_target"));
}

class LazyBinding : public ::testing::Test {
protected:
	void SetUp() override
	{
		tr::find_loader_text();
		// cs_lazy_jump is `jmp lazy_target@PLT` (E9 rel32 to this binary's stub).
		auto jump = reinterpret_cast<uintptr_t>(cs_lazy_jump);
		ASSERT_EQ(*reinterpret_cast<const uint8_t *>(jump), 0xe9);
		stub_ = jump + 5 + uintptr_t(intptr_t(rd32(jump + 1)));
		ASSERT_TRUE(set_.read_maps());
	}
	// Where the stub's cell leads now.
	uintptr_t cell_value() const
	{
		uintptr_t to = 0;
		EXPECT_TRUE(tr::plt_jump_target(set_, stub_, &to)) << "not a PLT stub";
		return to;
	}
	tr::CheckSet set_;
	uintptr_t stub_ = 0;
};

TEST_F(LazyBinding, EveryPointOfAFirstCallThroughThePltCountsAsRunning)
{
	uintptr_t half = cell_value();
	ASSERT_NE(half, target_lo()) << "lazy_target is bound already (LD_BIND_NOW set?)";
	// The stub, its lazy half (push index; jmp PLT0), PLT0 and its second jump.
	EXPECT_TRUE(on_lazy_path(check_at(stub_, target_lo(), target_lo() + 1)));
	EXPECT_TRUE(on_lazy_path(check_at(half)));
	uint8_t push = *reinterpret_cast<const uint8_t *>(half);
	size_t at_jmp = push == 0x68 ? 5 : 9; // classic .plt, or after endbr64 in the IBT one
	uintptr_t jmp = half + at_jmp;
	EXPECT_TRUE(on_lazy_path(check_at(jmp)));
	size_t bnd = *reinterpret_cast<const uint8_t *>(jmp) == 0xf2 ? 1 : 0;
	uintptr_t plt0 = jmp + bnd + 5 + uintptr_t(intptr_t(rd32(jmp + bnd + 1)));
	EXPECT_TRUE(on_lazy_path(check_at(plt0)));
	EXPECT_TRUE(on_lazy_path(check_at(plt0 + 6)));
}

TEST_F(LazyBinding, TheLoadersCodeCountsAsRunning)
{
	void *in_loader = loader_function();
	ASSERT_NE(in_loader, nullptr);
	Dl_info info{};
	ASSERT_NE(dladdr(in_loader, &info), 0);
	ASSERT_NE(std::strstr(info.dli_fname, "ld-linux"), nullptr) << info.dli_fname;
	EXPECT_TRUE(on_lazy_path(check_at(reinterpret_cast<uintptr_t>(in_loader))));
}

TEST_F(LazyBinding, ABoundStubAndOrdinaryCodeAreJudgedAsBefore)
{
	ASSERT_EQ(cs_lazy_jump(2), 6); // the first call binds the cell
	ASSERT_EQ(cell_value(), target_lo());
	Verdict patched = check_at(stub_, target_lo(), target_lo() + 1);
	EXPECT_EQ(patched.verdict, tr::Verdict::running_in);
	EXPECT_EQ(patched.in, "patched") << "a bound stub runs the function it jumps to";
	EXPECT_EQ(check_at(stub_).verdict, tr::Verdict::clean); // to a function not patched
	EXPECT_EQ(check_at(reinterpret_cast<uintptr_t>(cs_call_direct)).verdict,
		  tr::Verdict::clean);
}

// The IBT layout, built in memory: a .plt.sec stub `endbr64; bnd jmp *cell`, the cell
// holding the lazy half `endbr64; push 0; bnd jmp PLT0`, and PLT0 `push GOT1; bnd jmp
// *GOT2`, GOT2 holding something of the loader's.
struct IbtPlt {
	uint8_t plt0[16], half[16], sec[16];
	uintptr_t cell, got1, got2;
};
IbtPlt g_ibt;

void put_rel(uint8_t *at, uintptr_t next_insn, const void *to)
{
	auto disp = int32_t(reinterpret_cast<intptr_t>(to) - intptr_t(next_insn));
	std::memcpy(at, &disp, 4);
}

TEST_F(LazyBinding, TheIbtLayoutsPathCountsAsRunning)
{
	IbtPlt &p = g_ibt;
	auto addr = [](const void *x) { return reinterpret_cast<uintptr_t>(x); };
	const uint8_t plt0[13] = {0xff, 0x35, 0, 0, 0, 0, 0xf2, 0xff, 0x25, 0, 0, 0, 0};
	std::memcpy(p.plt0, plt0, sizeof plt0);
	put_rel(p.plt0 + 2, addr(p.plt0) + 6, &p.got1);
	put_rel(p.plt0 + 9, addr(p.plt0) + 13, &p.got2);
	p.got2 = reinterpret_cast<uintptr_t>(loader_function());
	ASSERT_NE(p.got2, 0u);
	const uint8_t half[15] = {0xf3, 0x0f, 0x1e, 0xfa, 0x68, 0, 0, 0, 0, 0xf2, 0xe9};
	std::memcpy(p.half, half, sizeof half);
	put_rel(p.half + 11, addr(p.half) + 15, p.plt0);
	const uint8_t sec[11] = {0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff, 0x25};
	std::memcpy(p.sec, sec, sizeof sec);
	put_rel(p.sec + 7, addr(p.sec) + 11, &p.cell);
	p.cell = addr(p.half);
	for (uintptr_t pc : {addr(p.sec), addr(p.sec) + 4, addr(p.half), addr(p.half) + 4,
			     addr(p.half) + 9, addr(p.plt0), addr(p.plt0) + 6})
		EXPECT_TRUE(on_lazy_path(check_at(pc))) << "at " << std::hex << pc;
	p.cell = target_lo(); // bound: the stub leads to lazy_target, not patched here
	EXPECT_EQ(check_at(addr(p.sec)).verdict, tr::Verdict::clean);
}

} // namespace
