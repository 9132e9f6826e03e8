// SPDX-License-Identifier: MIT
// live_stack_test.cpp - the precise check with no signal frame (interrupted PC 0): how a
// ThreadSanitizer build of graft judges a thread from its handler, which TSan calls on
// the thread's live stack at an interceptor's exit (transition/switcher.cpp,
// check_live). Every frame from the caller up counts: a function with a frame on the
// stack holds the thread, one without does not.
#include <gtest/gtest.h>

#include <cstdint>

#include "transition/stack_check.hpp"

namespace tr = graft::transition;

namespace {

struct Check {
	bool complete = false;
	tr::CheckResult result;
};

__attribute__((noinline)) Check check_here(const tr::CheckSet &set)
{
	Check c;
	c.complete = tr::check_own_stack_precisely(set, 0, &c.result);
	asm volatile("" ::: "memory"); // not a tail call: this frame stays
	return c;
}

// The function whose frame is on the stack during the check.
__attribute__((noinline)) Check in_affected(const tr::CheckSet &set)
{
	Check c = check_here(set);
	asm volatile("" ::: "memory"); // the call returns here: its return address is inside
	return c;
}

__attribute__((noinline)) int never_called(int x)
{
	asm volatile("" ::: "memory");
	return x + 1;
}

tr::CheckSet set_of(const void *fn, size_t len)
{
	tr::CheckSet set;
	auto lo = reinterpret_cast<uintptr_t>(fn);
	set.add(lo, lo + len, "fn");
	set.sort();
	return set;
}

} // namespace

TEST(LiveStack, AFunctionWithAFrameAboveTheCallerHoldsTheThread)
{
	// 4 KiB covers in_affected's call of check_here (a few dozen bytes in).
	tr::CheckSet set = set_of(reinterpret_cast<const void *>(&in_affected), 4096);
	ASSERT_TRUE(set.read_maps());
	Check c = in_affected(set);
	ASSERT_TRUE(c.complete) << "the unwinder did not reach the stack's end";
	EXPECT_EQ(c.result.verdict, tr::Verdict::on_stack)
		<< "a function with a live frame on the stack was judged clean";
}

TEST(LiveStack, AFunctionWithNoFrameOnTheStackDoesNotHoldIt)
{
	// One byte at its entry: no return address on this stack can lie in it.
	tr::CheckSet set = set_of(reinterpret_cast<const void *>(&never_called), 1);
	ASSERT_TRUE(set.read_maps());
	Check c = check_here(set);
	ASSERT_TRUE(c.complete) << "the unwinder did not reach the stack's end";
	EXPECT_EQ(c.result.verdict, tr::Verdict::clean) << "held by a function not on the stack";
	EXPECT_EQ(never_called(1), 2);
}
