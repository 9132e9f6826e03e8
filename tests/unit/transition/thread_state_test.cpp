// SPDX-License-Identifier: MIT
// thread_state_test.cpp - the seqlock'd transition and the switch table under concurrent
// readers: a reader never sees the initial and target of two generations mixed, nor a
// state that the table never held for it; a marked thread waits for the verdict.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "transition/thread_state.hpp"

namespace tr = graft::transition;

namespace {

TEST(Seqlock, ReadersNeverSeeTwoGenerationsMixed)
{
	tr::begin_update();
	tr::end_update(0, 1);
	std::atomic<bool> stop{false};
	std::atomic<long> torn{0}, reads{0};
	std::vector<std::thread> readers;
	for (int i = 0; i < 3; i++)
		readers.emplace_back([&] {
			while (!stop.load(std::memory_order_relaxed)) {
				tr::Published p = tr::published();
				// Every generation is written as (k & 1, !(k & 1)), never equal.
				if (p.initial == p.target || (p.gen & 1))
					torn++;
				reads++;
			}
		});
	for (int k = 0; k < 200000; k++) {
		tr::begin_update();
		tr::end_update(k & 1, !(k & 1));
	}
	while (reads.load() < 100000)
		std::this_thread::yield();
	stop = true;
	for (auto &t : readers)
		t.join();
	EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
}

// One thread switches itself back and forth in each new generation while another reads
// its record from outside: the outside view is always the initial state or the one the
// thread recorded in that generation.
TEST(SwitchTable, AnOutsideReaderSeesOnlyRecordedStates)
{
	tr::begin_update();
	tr::clear_table();
	tr::end_update(tr::kUnpatched, tr::kPatched);
	std::atomic<pid_t> tid{0};
	std::atomic<bool> stop{false};
	std::atomic<long> wrong{0};
	std::thread self([&] {
		tid = tr::self_tid();
		while (!stop.load()) {
			tr::Published p = tr::published();
			tr::switch_self(p, p.target);
			if (tr::current_state(p) != p.target)
				wrong++;
		}
	});
	while (!tid.load())
		std::this_thread::yield();
	for (int k = 0; k < 20000; k++) {
		tr::Published p = tr::published();
		int s = tr::state_of(tid.load(), p);
		if (s != p.initial && s != p.target)
			wrong++;
	}
	stop = true;
	self.join();
	EXPECT_EQ(wrong.load(), 0);
}

// The handshake: a thread marked "being switched" waits in current_state until the
// verdict, and then has the verdict's state.
TEST(SwitchTable, AMarkedThreadWaitsForTheVerdict)
{
	tr::begin_update();
	tr::clear_table();
	tr::end_update(tr::kUnpatched, tr::kPatched);
	std::atomic<pid_t> tid{0};
	std::atomic<int> go{0}, seen{-1};
	std::thread t([&] {
		tid = tr::self_tid();
		while (!go.load())
			std::this_thread::yield();
		seen = tr::current_state(tr::published());
	});
	while (!tid.load())
		std::this_thread::yield();
	tr::Published p = tr::published();
	uint64_t prev = 0;
	ASSERT_TRUE(tr::mark(tid.load(), p, &prev));
	go = 1;
	// It cannot decide before finish_mark: give it 50 ms to reach the wait (a negative
	// check: a slow machine only makes it weaker, never wrong).
	auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
	while (seen.load() == -1 && std::chrono::steady_clock::now() < until)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	EXPECT_EQ(seen.load(), -1) << "the marked thread did not wait";
	tr::finish_mark(tid.load(), p, tr::kPatched, prev);
	t.join();
	EXPECT_EQ(seen.load(), tr::kPatched);
}

} // namespace
