// SPDX-License-Identifier: MIT
// relocate_test.cpp - detour sites on real prologues: trampoline correctness, refusals,
// exceptions through a relocated call, the transition thunk, direct mode.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "arch_test_util.hpp"
#include "os/code.hpp"

using namespace graft::arch;
using namespace arch_test;

extern "C" int corpus_thrower(int x)
{
	if (x)
		throw std::runtime_error("thrown by g");
	return 41;
}

extern "C" int repl_answer(int x)
{
	return x + 9000;
}

namespace {

struct Case {
	const char *name;
	Fn fn;
	const void *end;
	int arg;
	int answer; // original
};

const Case kCases[] = {
	{"corpus_rip_load", corpus_rip_load, corpus_rip_load_end, 0, 101},
	{"corpus_lea", corpus_lea, corpus_lea_end, 0, 202},
	{"corpus_short_jcc", corpus_short_jcc, corpus_short_jcc_end, 1, 303},
	{"corpus_short_jcc", corpus_short_jcc, corpus_short_jcc_end, 0, 304},
	{"corpus_short_jmp", corpus_short_jmp, corpus_short_jmp_end, 0, 404},
	{"corpus_endbr", corpus_endbr, corpus_endbr_end, 0, 505},
	{"corpus_frame", corpus_frame, corpus_frame_end, 5, 605},
	{"corpus_rip_cmp", corpus_rip_cmp, corpus_rip_cmp_end, 0, 801},
	{"corpus_call_end", corpus_call_end, corpus_call_end_end, 3, 710},
	{"corpus_plain", corpus_plain, corpus_plain_end, 0, 1000},
};

class Relocate : public ::testing::TestWithParam<Case> {};

TEST_P(Relocate, InstallCallOriginalRemove)
{
	const Case &c = GetParam();
	std::string why;
	Site *s = prepare(c.fn, c.end, c.name, &why);
	ASSERT_NE(s, nullptr) << why;
	EXPECT_EQ(site_kind(s), EntryKind::detour);
	EXPECT_EQ(site_entry(s), addr(c.fn));
	auto before = bytes(addr(c.fn), 16);
	// The trampoline alone runs the original.
	EXPECT_EQ(call(site_original(s), c.arg), c.answer);
	site_set_target(s, addr(repl_answer));
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_TRUE(site_installed(s));
	EXPECT_EQ(call(addr(c.fn), c.arg), c.arg + 9000);
	EXPECT_EQ(call(site_original(s), c.arg), c.answer);
	// Slot to the original: the patched entry now runs the original through the trampoline.
	site_set_target(s, site_original(s));
	EXPECT_EQ(call(addr(c.fn), c.arg), c.answer);
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_FALSE(site_installed(s));
	EXPECT_EQ(bytes(addr(c.fn), 16), before);
	EXPECT_EQ(call(addr(c.fn), c.arg), c.answer);
	// Prepared again: the same Site, nothing new allocated.
	EXPECT_EQ(prepare(c.fn, c.end, c.name, &why), s);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Relocate, ::testing::ValuesIn(kCases), [](const auto &info) {
	return std::string(info.param.name) + "_" + std::to_string(info.index);
});

TEST(Relocate, RipCmpSeesDataThroughTrampoline)
{
	std::string why;
	Site *s = prepare(corpus_rip_cmp, corpus_rip_cmp_end, "corpus_rip_cmp", &why);
	ASSERT_NE(s, nullptr) << why;
	corpus_flag = 1;
	EXPECT_EQ(call(site_original(s), 0), 802);
	corpus_flag = 0;
	EXPECT_EQ(call(site_original(s), 0), 801);
}

TEST(Relocate, EndbrStaysAtEntry)
{
	std::string why;
	Site *s = prepare(corpus_endbr, corpus_endbr_end, "corpus_endbr", &why);
	ASSERT_NE(s, nullptr) << why;
	ASSERT_TRUE(install(s, &why)) << why;
	const uint8_t endbr[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	EXPECT_EQ(std::memcmp(reinterpret_cast<void *>(corpus_endbr), endbr, 4), 0);
	EXPECT_EQ(reinterpret_cast<const uint8_t *>(corpus_endbr)[4], 0xe9);
	ASSERT_TRUE(remove(s, &why)) << why;
}

struct Refusal {
	const char *name;
	Fn fn;
	const void *end;
	const char *reason;
};

const Refusal kRefusals[] = {
	{"corpus_ret1", corpus_ret1, corpus_ret1_end,
	 "function 'corpus_ret1' is too short to patch (1 bytes)"},
	{"corpus_short3", corpus_short3, corpus_short3_end,
	 "function 'corpus_short3' is too short to patch (3 bytes)"},
	{"corpus_call_mid", corpus_call_mid, corpus_call_mid_end,
	 "function 'corpus_call_mid' has a call at +0x1 that does not end the bytes to overwrite"},
	{"corpus_branch_into", corpus_branch_into, corpus_branch_into_end,
	 "function 'corpus_branch_into' has a branch at +0xa into the bytes to overwrite (target "
	 "+0x1)"},
	{"corpus_syscall", corpus_syscall, corpus_syscall_end,
	 "function 'corpus_syscall' has 'syscall' at +0x4 in the bytes to overwrite"},
};

class Refuse : public ::testing::TestWithParam<Refusal> {};

TEST_P(Refuse, WithReason)
{
	const Refusal &r = GetParam();
	auto before = bytes(addr(r.fn), 4);
	std::string why;
	EXPECT_EQ(prepare(r.fn, r.end, r.name, &why), nullptr);
	EXPECT_NE(why.find(r.reason), std::string::npos) << why;
	EXPECT_EQ(bytes(addr(r.fn), 4), before);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Refuse, ::testing::ValuesIn(kRefusals),
			 [](const auto &info) { return std::string(info.param.name); });

TEST(Refuse, UnknownSize)
{
	std::string why;
	EXPECT_EQ(site_prepare(addr(corpus_frame), 0, "corpus_frame", &why), nullptr);
	EXPECT_NE(why.find("size of function 'corpus_frame' is unknown"), std::string::npos) << why;
}

// push rbx; call g: relocated as push(original return address) + jmp g, so an exception
// thrown by g unwinds through the real corpus_call_throw and reaches this frame.
TEST(Relocate, ExceptionThroughRelocatedCall)
{
	std::string why;
	Site *s = prepare(corpus_call_throw, corpus_call_throw_end, "corpus_call_throw", &why);
	ASSERT_NE(s, nullptr) << why;
	site_set_target(s, site_original(s));
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_EQ(call(addr(corpus_call_throw), 0), 42);
	bool caught = false;
	try {
		call(addr(corpus_call_throw), 1);
	} catch (const std::runtime_error &e) {
		caught = std::strcmp(e.what(), "thrown by g") == 0;
	}
	EXPECT_TRUE(caught);
	ASSERT_TRUE(remove(s, &why)) << why;
}

// --- transition thunk ---

std::atomic<int> g_hook_calls{0};
void *g_hook_cookie = nullptr;

extern "C" long repl_args(long a, long b, long c, long d, long e, long f, double x0, double x1,
			  double x2, double x3, double x4, double x5, double x6, double x7)
{
	bool ok = a == 1 && b == -2 && c == 3 && d == 0x123456789abcLL && e == 5 && f == 6 &&
		  x0 == 0.5 && x1 == 1.5 && x2 == -2.5 && x3 == 3.25 && x4 == 4e10 && x5 == -5.5 &&
		  x6 == 6.125 && x7 == 7.75;
	return ok ? 4242 : -1;
}

uintptr_t count_hook(void *cookie, Site *, uintptr_t)
{
	g_hook_calls.fetch_add(1, std::memory_order_relaxed);
	g_hook_cookie = cookie;
	return addr(reinterpret_cast<const void *>(&repl_args));
}

TEST(Transition, ArgumentsPassThrough)
{
	std::string why;
	Site *s = prepare(corpus_plain, corpus_plain_end, "corpus_plain", &why);
	ASSERT_NE(s, nullptr) << why;
	int cookie = 0;
	site_set_cookie(s, &cookie);
	set_select_hook(count_hook);
	site_set_target(s, site_transition(s));
	ASSERT_TRUE(install(s, &why)) << why;
	using ArgsFn = long (*)(long, long, long, long, long, long, double, double, double, double,
				double, double, double, double);
	ArgsFn volatile fn = reinterpret_cast<ArgsFn>(reinterpret_cast<void *>(corpus_plain));
	g_hook_calls = 0;
	for (int i = 0; i < 3; ++i)
		EXPECT_EQ(fn(1, -2, 3, 0x123456789abcLL, 5, 6, 0.5, 1.5, -2.5, 3.25, 4e10, -5.5,
			     6.125, 7.75),
			  4242);
	EXPECT_EQ(g_hook_calls.load(), 3);
	EXPECT_EQ(g_hook_cookie, &cookie);
	// Default hook: the original.
	set_select_hook(nullptr);
	EXPECT_EQ(call(addr(corpus_plain), 0), 1000);
	ASSERT_TRUE(remove(s, &why)) << why;
	site_set_target(s, site_original(s));
}

// --- direct mode ---

TEST(Direct, EntryJumpsStraightToTarget)
{
	std::string why;
	Site *s = prepare(corpus_frame, corpus_frame_end, "corpus_frame", &why);
	ASSERT_NE(s, nullptr) << why;
	auto before = bytes(addr(corpus_frame), 16);
	site_set_target(s, site_original(s));
	ASSERT_TRUE(install(s, &why)) << why;
	ASSERT_TRUE(site_set_direct(s, addr(repl_answer), &why)) << why;
	EXPECT_EQ(site_direct(s), addr(repl_answer));
	const uint8_t *e = reinterpret_cast<const uint8_t *>(corpus_frame);
	int32_t rel;
	std::memcpy(&rel, e + 1, 4);
	EXPECT_EQ(e[0], 0xe9);
	EXPECT_EQ(addr(corpus_frame) + 5 + rel, addr(repl_answer));
	EXPECT_EQ(call(addr(corpus_frame), 1), 9001);
	ASSERT_TRUE(site_set_direct(s, 0, &why)) << why; // back through the stub (slot = original)
	EXPECT_EQ(site_direct(s), 0u);
	EXPECT_EQ(call(addr(corpus_frame), 1), 601);
	ASSERT_TRUE(site_set_direct(s, addr(repl_answer), &why)) << why;
	ASSERT_TRUE(remove(s, &why)) << why; // removal from direct mode
	EXPECT_EQ(bytes(addr(corpus_frame), 16), before);
	EXPECT_EQ(call(addr(corpus_frame), 1), 601);
}

// --- /proc/self/mem fallback ---

TEST(ProcMem, InstallAndRemoveWithoutMprotect)
{
	std::string why;
	Site *s = prepare(corpus_lea, corpus_lea_end, "corpus_lea", &why);
	ASSERT_NE(s, nullptr) << why;
	auto before = bytes(addr(corpus_lea), 16);
	graft::os::code_set_write_mode(graft::os::CodeWriteMode::proc_mem);
	site_set_target(s, addr(repl_answer));
	bool ok = install(s, &why);
	EXPECT_TRUE(ok) << why;
	EXPECT_EQ(call(addr(corpus_lea), 1), 9001);
	EXPECT_TRUE(remove(s, &why)) << why;
	graft::os::code_set_write_mode(graft::os::CodeWriteMode::mprotect_window);
	EXPECT_EQ(bytes(addr(corpus_lea), 16), before);
	EXPECT_EQ(call(addr(corpus_lea), 1), 202);
}

TEST(Batch, AllOrNothingOnDuplicate)
{
	std::string why;
	Site *a = prepare(corpus_rip_load, corpus_rip_load_end, "corpus_rip_load", &why);
	ASSERT_NE(a, nullptr) << why;
	Site *batch[2] = {a, a};
	EXPECT_FALSE(sites_install(batch, 2, &why));
	EXPECT_NE(why.find("twice"), std::string::npos) << why;
	EXPECT_FALSE(site_installed(a));
}

} // namespace
