// SPDX-License-Identifier: MIT
// context_test.cpp - the exclusion between a thread that resumes a context and the
// transition thread's check of suspended contexts (context.cpp), in fence mode
// (membarrier) and in CAS mode: threads switch between their own two contexts (the
// bookkeeping only, on one stack) while the check runs in a loop, a new generation each
// round. Holding a context, a thread writes the initial state into its record and reads
// it back: a check of a held context would switch that record to the target (every
// stack here is clean).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "transition/context.hpp"
#include "transition/stack_check.hpp"
#include "transition/thread_state.hpp"

namespace tr = graft::transition;

namespace {

constexpr long kSwitches = 20000; // per thread
constexpr int kThreads = 2;

// To ctx, as an interposer does it. The outgoing context is suspended with sp = the
// bottom of its stack: a fiber's is a zeroed buffer, whose check (a process_vm_readv of
// 4 KiB) takes microseconds and finds it clean, a window a held context would be
// caught in; a thread's own is suspended at its top, nothing to read.
void switch_to(tr::Context *ctx, tr::Context *from)
{
	tr::context_switch_out(ctx, from->native ? from->hi : from->lo, uintptr_t(&switch_to));
	tr::context_switch_in();
}

// Holding ctx: a record of the initial state must stay as written until we leave.
bool record_stays(tr::Context *ctx)
{
	tr::Published p = tr::published();
	uint64_t mine = tr::record_for(p, p.initial);
	ctx->rec.store(mine, std::memory_order_relaxed);
	for (int i = 0; i < 1000; i++) // a window for a wrong check
		asm volatile("" ::: "memory");
	return ctx->rec.load(std::memory_order_relaxed) == mine;
}

void switcher(std::atomic<long> *overwritten, std::atomic<long> *done)
{
	tr::Context *native = tr::context_current();
	std::vector<char> stack(4096);
	auto lo = uintptr_t(stack.data());
	tr::Context *fiber = tr::context_alloc(lo, lo + stack.size());
	ASSERT_NE(native, nullptr);
	ASSERT_NE(fiber, nullptr);
	fiber->sp.store(lo, std::memory_order_relaxed);
	for (long k = 0; k < kSwitches; k++) {
		switch_to(fiber, native);
		if (!record_stays(fiber))
			(*overwritten)++;
		switch_to(native, fiber);
		if (!record_stays(native))
			(*overwritten)++;
	}
	tr::context_free(fiber);
	(*done)++;
}

// The check in a loop until every switcher is done (a generous deadline: a loaded
// machine only makes it slower).
void run(bool fence)
{
	tr::begin_update();
	tr::clear_table();
	tr::end_update(tr::kUnpatched, tr::kPatched);
	std::atomic<long> overwritten{0}, done{0};
	std::vector<std::thread> threads;
	for (int i = 0; i < kThreads; i++)
		threads.emplace_back(switcher, &overwritten, &done);
	tr::CheckSet set; // no function in transition: every stack is clean
	long rounds = 0, total = 0, switched = 0;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
	while (done.load() < kThreads && std::chrono::steady_clock::now() < deadline) {
		// A new generation each round: every record is in the initial state again, so
		// the check switches (writes) every suspended context it takes.
		tr::begin_update();
		tr::end_update(tr::kUnpatched, tr::kPatched);
		auto r = tr::try_switch_contexts(set, tr::published());
		total += r.total;
		switched += r.switched;
		rounds++;
	}
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(done.load(), kThreads);
	EXPECT_EQ(overwritten.load(), 0) << "a held context was checked (" << rounds << " rounds, "
					 << total << " suspended contexts seen, " << switched
					 << " switched, fence mode " << fence << ")";
	tr::set_context_fence(true);
}

TEST(ContextExclusion, FenceModeNeverChecksAHeldContext)
{
	if (!tr::set_context_fence(true))
		GTEST_SKIP() << "membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) refused";
	run(true);
}

TEST(ContextExclusion, CasModeNeverChecksAHeldContext)
{
	tr::set_context_fence(false);
	run(false);
}

} // namespace
