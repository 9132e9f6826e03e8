// SPDX-License-Identifier: MIT
// fast_path_test.cpp - transition_f's fast path (arch/x86_64/fast_path.hpp): a thread's
// valid verdict sends a call to the cookie's target for its state without the select
// hook, arguments intact; a bumped stamp, a hold word gone, another site, or a slot no
// longer routed through transition_f send it to the hook again.
#include <gtest/gtest.h>

#include "arch/x86_64/fast_path.hpp"
#include "arch_test_util.hpp"

using namespace graft::arch;
using namespace arch_test;

namespace {

bool args_ok(long a, long b, long c, long d, long e, long f, double x0, double x1, double x2,
	     double x3, double x4, double x5, double x6, double x7)
{
	return a == 1 && b == -2 && c == 3 && d == 0x123456789abcLL && e == 5 && f == 6 &&
	       x0 == 0.5 && x1 == 1.5 && x2 == -2.5 && x3 == 3.25 && x4 == 4e10 && x5 == -5.5 &&
	       x6 == 6.125 && x7 == 7.75;
}

#define ARGS                                                                             \
	long a, long b, long c, long d, long e, long f, double x0, double x1, double x2, \
		double x3, double x4, double x5, double x6, double x7
#define PASS a, b, c, d, e, f, x0, x1, x2, x3, x4, x5, x6, x7

extern "C" __attribute__((noinline)) long fast_old(ARGS)
{
	return args_ok(PASS) ? 1111 : -1;
}
extern "C" __attribute__((noinline)) long fast_new(ARGS)
{
	return args_ok(PASS) ? 2222 : -1;
}
extern "C" __attribute__((noinline)) long fast_hooked(ARGS)
{
	return args_ok(PASS) ? 3333 : -1;
}

int g_hooked;

uintptr_t hook(void *, Site *, uintptr_t)
{
	g_hooked++;
	return addr(reinterpret_cast<const void *>(&fast_hooked));
}

using ArgsFn = long (*)(long, long, long, long, long, long, double, double, double, double, double,
			double, double, double);

class FastPath : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::string why;
		site_ = prepare(corpus_plain, corpus_plain_end, "corpus_plain", &why);
		ASSERT_NE(site_, nullptr) << why;
		targets_[0] = addr(reinterpret_cast<const void *>(&fast_old));
		targets_[1] = addr(reinterpret_cast<const void *>(&fast_new));
		site_set_cookie(site_, targets_);
		set_select_hook(hook);
		site_set_target(site_, site_transition(site_));
		ASSERT_TRUE(install(site_, &why)) << why;
		g_hooked = 0;
	}
	void TearDown() override
	{
		fast_forget();
		std::string why;
		EXPECT_TRUE(remove(site_, &why)) << why;
		site_set_target(site_, site_original(site_));
		set_select_hook(nullptr);
	}
	static long call_it(uintptr_t at = addr(reinterpret_cast<const void *>(corpus_plain)))
	{
		ArgsFn volatile fn = reinterpret_cast<ArgsFn>(at);
		return fn(1, -2, 3, 0x123456789abcLL, 5, 6, 0.5, 1.5, -2.5, 3.25, 4e10, -5.5, 6.125,
			  7.75);
	}
	Site *site_ = nullptr;
	uintptr_t targets_[2] = {};
};

TEST_F(FastPath, WithoutAVerdictTheHookDecides)
{
	EXPECT_EQ(call_it(), 3333);
	EXPECT_EQ(g_hooked, 1);
}

TEST_F(FastPath, AnUnconditionalVerdictGoesToItsStatesTargetUntilTheStampMoves)
{
	fast_remember(fast_stamp(), 1, {});
	EXPECT_EQ(call_it(), 2222);
	EXPECT_EQ(call_it(), 2222);
	fast_remember(fast_stamp(), 0, {});
	EXPECT_EQ(call_it(), 1111);
	EXPECT_EQ(g_hooked, 0);
	fast_stamp_bump();
	EXPECT_EQ(call_it(), 3333);
	EXPECT_EQ(g_hooked, 1);
}

TEST_F(FastPath, AForgottenVerdictIsNotUsed)
{
	fast_remember(fast_stamp(), 1, {});
	fast_forget();
	EXPECT_EQ(call_it(), 3333);
	EXPECT_EQ(g_hooked, 1);
}

TEST_F(FastPath, AConditionalVerdictHoldsWhileItsWordIsInPlaceAtItsSite)
{
	// A slot of this frame lies above the entry SP of the call below.
	volatile uintptr_t slot = 0x5a5a5a5a;
	auto at = reinterpret_cast<uintptr_t>(&slot);
	fast_remember(fast_stamp(), 0, {at, ~uintptr_t(0x5a5a5a5a), fast_site_id(site_)});
	EXPECT_EQ(call_it(), 1111);
	EXPECT_EQ(g_hooked, 0);
	slot = 0x5a5a5a5b; // the frame that held it returned: the hook decides
	EXPECT_EQ(call_it(), 3333);
	EXPECT_EQ(g_hooked, 1);
	slot = 0x5a5a5a5a;
	fast_remember(fast_stamp(), 0, {at, ~uintptr_t(0x5a5a5a5a), 0}); // any site
	EXPECT_EQ(call_it(), 1111);
	fast_remember(fast_stamp(), 0, {at, ~uintptr_t(0x5a5a5a5a), fast_site_id(site_) + 32});
	EXPECT_EQ(call_it(), 3333); // another site's verdict
	EXPECT_EQ(g_hooked, 2);
}

TEST_F(FastPath, ASlotBelowTheEntryStackPointerIsNotRead)
{
	// An address far below this thread's stack pointer: never at or above a call's
	// entry SP, so the fast path must not dereference it (it is unmapped).
	uintptr_t below = 4096;
	fast_remember(fast_stamp(), 0, {below, 0, 0});
	EXPECT_EQ(call_it(), 3333);
	EXPECT_EQ(g_hooked, 1);
}

TEST_F(FastPath, ASiteNoLongerRoutedThroughTransitionGoesToTheHook)
{
	// A call that reached transition_f late: the slot has moved on since.
	fast_remember(fast_stamp(), 1, {});
	site_set_target(site_, site_original(site_));
	EXPECT_EQ(call_it(site_transition(site_)), 3333);
	EXPECT_EQ(g_hooked, 1);
	site_set_target(site_, site_transition(site_));
	EXPECT_EQ(call_it(), 2222);
	EXPECT_EQ(g_hooked, 1);
}

} // namespace
