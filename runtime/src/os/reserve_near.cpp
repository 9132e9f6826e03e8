// SPDX-License-Identifier: MIT
// reserve_near.cpp - the free gaps above an address, from /proc/self/maps, reserved with
// PROT_NONE mappings placed by MAP_FIXED_NOREPLACE, and released with munmap.
#include "os/reserve_near.hpp"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/resource.h>

#include "os/maps.hpp"
#include "os/near.hpp"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace graft::os {
namespace {

constexpr uintptr_t kPageMask = 0xfff;
// Below the stack's rlimit: the kernel's stack_guard_gap (1 MiB by default, a boot
// parameter) with a wide margin.
constexpr uintptr_t kStackGuard = uintptr_t(64) << 20;
constexpr size_t kMaxReservations = 512; // far more free gaps than a real map has
// Left free right above [heap]: brk may grow by this much while the dlopen runs (a
// reservation there would make the program's own sbrk fail for that moment).
constexpr uintptr_t kBrkMargin = uintptr_t(64) << 20;

// The lowest address the main thread's stack may grow down to, minus its guard: nothing
// is reserved from there up. 0 (with *why) when the layout is not the top-down one.
uintptr_t stack_floor(const std::vector<Mapping> &maps, std::string *why)
{
	auto it = std::find_if(maps.begin(), maps.end(), [](const Mapping &m) { return m.stack; });
	struct rlimit rl;
	if (it == maps.end() || ::getrlimit(RLIMIT_STACK, &rl) != 0) {
		*why = "no [stack] mapping in /proc/self/maps";
		return 0;
	}
	// An unlimited stack selects the legacy bottom-up layout: reserving above would not
	// steer anything (and the stack's room has no bound).
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (uintptr_t(1) << 40)) {
		*why = "the stack size is unlimited (the kernel's bottom-up mmap layout)";
		return 0;
	}
	uintptr_t room = std::max<uintptr_t>(rl.rlim_cur, uintptr_t(8) << 20) + kStackGuard;
	return it->end > room ? (it->end - room) & ~kPageMask : 0;
}

void add(std::vector<Reserved> *want, uintptr_t lo, uintptr_t hi)
{
	lo = (lo + kPageMask) & ~kPageMask;
	hi &= ~kPageMask;
	if (hi > lo)
		want->push_back({lo, hi});
}

// The ranges to reserve: the free parts of [limit, top) and the heap's slack below limit.
std::vector<Reserved> ranges_to_reserve(const std::vector<Mapping> &maps, uintptr_t limit,
					uintptr_t top)
{
	std::vector<Reserved> want;
	uintptr_t prev_end = 0;
	for (size_t i = 0; i <= maps.size(); ++i) {
		uintptr_t next = i < maps.size() ? maps[i].start : top;
		add(&want, std::max(prev_end, limit), std::min(next, top));
		if (i < maps.size() && maps[i].heap && maps[i].end < limit) {
			uintptr_t slack_end =
				std::min({maps[i].end + kHeapSlack, limit,
					  i + 1 < maps.size() ? maps[i + 1].start : top});
			add(&want, maps[i].end + kBrkMargin, slack_end);
		}
		if (i < maps.size())
			prev_end = std::max(prev_end, maps[i].end);
	}
	return want;
}

// Every range reserved and not yet released, by any thread (loads may run in parallel:
// one control client thread each). g_registry_mutex protects both; it is the innermost
// lock, held only to add or remove entries, and across fork (reserve_before_fork).
std::mutex g_registry_mutex;
Reserved g_registry[kMaxReservations * 2]; // 16 KiB of .bss, untouched until used
size_t g_registry_size = 0;

// False (nothing recorded) when the registry is full: the caller unmaps r again.
bool record(const Reserved &r)
{
	std::lock_guard<std::mutex> guard(g_registry_mutex);
	if (g_registry_size == std::size(g_registry))
		return false;
	g_registry[g_registry_size++] = r;
	return true;
}

void forget(const Reserved &r)
{
	std::lock_guard<std::mutex> guard(g_registry_mutex);
	for (size_t i = 0; i < g_registry_size; i++)
		if (g_registry[i].start == r.start && g_registry[i].end == r.end) {
			g_registry[i] = g_registry[--g_registry_size];
			return;
		}
}

bool reserve(const Reserved &r, std::string *why)
{
	size_t len = r.end - r.start;
	void *p = ::mmap(reinterpret_cast<void *>(r.start), len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == reinterpret_cast<void *>(r.start))
		return true;
	char buf[160];
	if (p == MAP_FAILED) {
		std::snprintf(buf, sizeof buf, "cannot reserve %#lx-%#lx: %s",
			      static_cast<unsigned long>(r.start),
			      static_cast<unsigned long>(r.end), std::strerror(errno));
	} else {
		::munmap(p, len); // a kernel without MAP_FIXED_NOREPLACE took it as a hint
		std::snprintf(buf, sizeof buf, "this kernel has no MAP_FIXED_NOREPLACE");
	}
	*why = buf;
	return false;
}

} // namespace

bool reserve_above(uintptr_t limit, std::vector<Reserved> *out, std::string *why)
{
	out->clear();
	std::vector<Mapping> maps;
	if (!read_maps(&maps)) {
		*why = "cannot read /proc/self/maps";
		return false;
	}
	uintptr_t top = stack_floor(maps, why);
	if (!top)
		return false;
	std::vector<Reserved> want = ranges_to_reserve(maps, limit, top);
	if (want.size() > kMaxReservations) {
		*why = "too many free gaps to reserve";
		return false;
	}
	for (const Reserved &r : want) {
		if (!reserve(r, why)) {
			release_reserved(out);
			return false;
		}
		if (!record(r)) {
			::munmap(reinterpret_cast<void *>(r.start), r.end - r.start);
			release_reserved(out);
			*why = "too many reservations at once";
			return false;
		}
		out->push_back(r);
	}
	return true;
}

void release_reserved(std::vector<Reserved> *ranges)
{
	for (const Reserved &r : *ranges) {
		// Forgotten first: a fork in between leaves the range reserved in the child
		// (a PROT_NONE leak), where the other order could make the child unmap what
		// another thread mapped there after the munmap.
		forget(r);
		::munmap(reinterpret_cast<void *>(r.start), r.end - r.start);
	}
	ranges->clear();
}

void reserve_before_fork()
{
	g_registry_mutex.lock(); // released by one of the two handlers below
}

void reserve_after_fork_parent()
{
	g_registry_mutex.unlock();
}

// The child's only thread: what any thread of the parent held at the fork is unmapped
// here (every recorded range is still reserved: a range is recorded after its mmap and
// forgotten before its munmap).
void reserve_after_fork_child()
{
	for (size_t i = 0; i < g_registry_size; i++)
		::munmap(reinterpret_cast<void *>(g_registry[i].start),
			 g_registry[i].end - g_registry[i].start);
	g_registry_size = 0;
	g_registry_mutex.unlock();
}

} // namespace graft::os
