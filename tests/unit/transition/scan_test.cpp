// SPDX-License-Identifier: MIT
// scan_test.cpp - the scan of another thread's stack (check_suspended, used for blocked
// threads and suspended fibers) reads through process_vm_readv: a stack unmapped under
// it (a thread that woke and exited) gives "unreliable", never a fault.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "transition/stack_check.hpp"

extern "C" long cs_call_direct(long x);
extern "C" uintptr_t cs_ret;

namespace tr = graft::transition;

namespace {

constexpr size_t kLen = 256 * 1024;

// A check set whose one range is cs_call_direct (the return address cs_ret lies in it).
tr::CheckSet set_with_caller()
{
	cs_call_direct(1);
	tr::CheckSet set;
	set.add(reinterpret_cast<uintptr_t>(cs_call_direct), cs_ret + 16, "cs_call_direct");
	set.sort();
	return set;
}

TEST(OutsideScan, FindsAReturnAddressOnAnotherStack)
{
	tr::CheckSet set = set_with_caller();
	void *m = mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(m, MAP_FAILED);
	auto *words = static_cast<uintptr_t *>(m);
	words[kLen / 8 - 3] = cs_ret;
	ASSERT_TRUE(set.read_maps());
	auto lo = reinterpret_cast<uintptr_t>(m);
	tr::CheckResult r = tr::check_suspended(set, 0, lo, lo + kLen);
	EXPECT_EQ(r.verdict, tr::Verdict::on_stack);
	EXPECT_EQ(r.at, lo + kLen - 24);
	munmap(m, kLen);
}

TEST(OutsideScan, AStackUnmappedBeforeTheScanIsUnreliable)
{
	tr::CheckSet set = set_with_caller();
	void *m = mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_TRUE(set.read_maps()); // the snapshot still lists it
	munmap(m, kLen);
	auto lo = reinterpret_cast<uintptr_t>(m);
	EXPECT_EQ(tr::check_suspended(set, 0, lo, lo + kLen).verdict, tr::Verdict::unreliable);
}

// A stack mapped and unmapped again and again while it is scanned: every verdict is
// "clean" (read whole) or "unreliable", and the scanning thread never faults.
TEST(OutsideScan, AStackUnmappedDuringTheScanNeverFaults)
{
	tr::CheckSet set = set_with_caller();
	void *m = mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(m, MAP_FAILED);
	ASSERT_TRUE(set.read_maps());
	auto lo = reinterpret_cast<uintptr_t>(m);
	std::atomic<bool> stop{false};
	std::atomic<long> flips{0};
	std::thread flipper([&] {
		while (!stop.load()) {
			munmap(m, kLen);
			void *again =
				mmap(m, kLen, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (again != m)
				break; // someone else took the range: stop flipping
			flips++;
		}
	});
	long unreliable = 0, clean = 0;
	for (int i = 0; i < 2000 || flips.load() < 100; i++) {
		tr::Verdict v = tr::check_suspended(set, 0, lo, lo + kLen).verdict;
		ASSERT_TRUE(v == tr::Verdict::clean || v == tr::Verdict::unreliable);
		(v == tr::Verdict::clean ? clean : unreliable)++;
		if (i > 200000)
			break;
	}
	stop = true;
	flipper.join();
	munmap(m, kLen);
	RecordProperty("unreliable", std::to_string(unreliable));
	RecordProperty("clean", std::to_string(clean));
	EXPECT_GT(unreliable, 0) << "the stack was never unmapped during a scan";
}

} // namespace
