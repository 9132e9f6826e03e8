// SPDX-License-Identifier: MIT
// reserve_near_test.cpp - os::reserve_above steers the kernel's next address-less mmap
// below a limit (how a patch module is placed near a PIE executable, issue 17), and
// release_reserved gives back exactly what it took.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "os/maps.hpp"
#include "os/near.hpp"
#include "os/reserve_near.hpp"

namespace {

using graft::os::Reserved;

__attribute__((noinline)) int in_the_executable()
{
	return 7;
}

// Whether any mapping of this process overlaps [lo, hi).
bool mapped(uintptr_t lo, uintptr_t hi)
{
	std::vector<graft::os::Mapping> maps;
	EXPECT_TRUE(graft::os::read_maps(&maps));
	for (const auto &m : maps)
		if (m.start < hi && m.end > lo)
			return true;
	return false;
}

TEST(ReserveNear, AnAddresslessMappingLandsBelowTheLimitAndTheReservationsGoAway)
{
	uintptr_t exe = reinterpret_cast<uintptr_t>(&in_the_executable);
	uintptr_t limit = (exe + graft::os::kNearReach) & ~uintptr_t(0xfff);
	constexpr size_t kLen = size_t(4) << 20;

	// Without reservations the kernel puts it near the libraries, far above.
	void *plain = mmap(nullptr, kLen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(plain, MAP_FAILED);
	bool plain_far = reinterpret_cast<uintptr_t>(plain) >= limit;
	munmap(plain, kLen);
	if (!plain_far)
		GTEST_SKIP() << "this process's libraries are within reach of its executable";

	std::vector<Reserved> reserved;
	std::string why;
	ASSERT_TRUE(graft::os::reserve_above(limit, &reserved, &why)) << why;
	ASSERT_FALSE(reserved.empty());
	void *p = mmap(nullptr, kLen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	std::vector<Reserved> copy = reserved;
	graft::os::release_reserved(&reserved);
	ASSERT_NE(p, MAP_FAILED);
	uintptr_t at = reinterpret_cast<uintptr_t>(p);
	munmap(p, kLen);
	EXPECT_LE(at + kLen, limit) << std::hex << at;
	EXPECT_GT(at + kLen, limit - (uintptr_t(64) << 20))
		<< "it lands at the top of the window: " << std::hex << at;
	EXPECT_TRUE(reserved.empty());
	for (const Reserved &r : copy)
		EXPECT_FALSE(mapped(r.start, r.end)) << std::hex << r.start << "-" << r.end;
	EXPECT_EQ(in_the_executable(), 7);
}

// Mappings already there are never replaced: a reservation never covers one.
TEST(ReserveNear, ReservationsCoverOnlyFreeAddresses)
{
	std::vector<graft::os::Mapping> before;
	ASSERT_TRUE(graft::os::read_maps(&before));
	uintptr_t limit = reinterpret_cast<uintptr_t>(&in_the_executable) + graft::os::kNearReach;
	std::vector<Reserved> reserved;
	std::string why;
	ASSERT_TRUE(graft::os::reserve_above(limit & ~uintptr_t(0xfff), &reserved, &why)) << why;
	std::vector<Reserved> copy = reserved;
	graft::os::release_reserved(&reserved);
	for (const Reserved &r : copy)
		for (const auto &m : before)
			EXPECT_FALSE(m.start < r.end && m.end > r.start)
				<< std::hex << r.start << "-" << r.end << " overlaps " << m.start;
}

// The heap's slack is reserved, but for its first 64 MiB: brk can grow meanwhile, and a
// module does not land right above the heap.
TEST(ReserveNear, TheHeapKeepsItsRoom)
{
	std::vector<graft::os::Mapping> maps;
	ASSERT_TRUE(graft::os::read_maps(&maps));
	const graft::os::Mapping *heap = nullptr;
	for (const auto &m : maps)
		if (m.heap)
			heap = &m;
	uintptr_t limit =
		(reinterpret_cast<uintptr_t>(&in_the_executable) + graft::os::kNearReach) &
		~uintptr_t(0xfff);
	if (!heap || heap->end + graft::os::kHeapSlack > limit)
		GTEST_SKIP() << "no [heap], or its slack reaches past the window";
	uintptr_t heap_end = heap->end;
	std::vector<Reserved> reserved;
	std::string why;
	ASSERT_TRUE(graft::os::reserve_above(limit, &reserved, &why)) << why;
	std::vector<Reserved> copy = reserved;
	graft::os::release_reserved(&reserved);
	uintptr_t slack_start = heap_end + (uintptr_t(64) << 20);
	bool was_free = true;
	for (const auto &m : maps)
		was_free &= !(m.start < slack_start + 0x1000 && m.end > slack_start);
	bool reserved_there = false;
	for (const Reserved &r : copy) {
		EXPECT_FALSE(r.start < slack_start && r.end > heap_end)
			<< "the 64 MiB right above [heap] stay free: " << std::hex << r.start;
		reserved_there |= r.start <= slack_start && r.end > slack_start;
	}
	EXPECT_TRUE(reserved_there || !was_free) << "the slack above [heap] is reserved";
}

// A fork while a load holds reservations: the child, where no thread will release them,
// unmaps them in its fork handler; the parent keeps them until it releases them.
TEST(ReserveNear, AForkChildReleasesTheReservationsItInherited)
{
	uintptr_t limit =
		(reinterpret_cast<uintptr_t>(&in_the_executable) + graft::os::kNearReach) &
		~uintptr_t(0xfff);
	std::vector<Reserved> reserved;
	std::string why;
	ASSERT_TRUE(graft::os::reserve_above(limit, &reserved, &why)) << why;
	if (reserved.empty()) {
		GTEST_SKIP() << "nothing to reserve above the window";
	}
	graft::os::reserve_before_fork(); // as core/init.cpp's pthread_atfork handlers do
	pid_t pid = fork();
	if (pid == 0) {
		graft::os::reserve_after_fork_child();
		bool any = false;
		for (const Reserved &r : reserved)
			any |= mapped(r.start, r.end);
		_exit(any ? 1 : 0);
	}
	graft::os::reserve_after_fork_parent();
	ASSERT_GT(pid, 0);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		<< "the child still had a reservation mapped";
	EXPECT_TRUE(mapped(reserved.front().start, reserved.front().end))
		<< "the parent's reservations stay until it releases them";
	std::vector<Reserved> copy = reserved;
	graft::os::release_reserved(&reserved);
	for (const Reserved &r : copy)
		EXPECT_FALSE(mapped(r.start, r.end));
}

} // namespace
