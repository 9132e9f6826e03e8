// SPDX-License-Identifier: MIT
// near.cpp - find a free gap near an address and map it with MAP_FIXED_NOREPLACE.
#include "os/near.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <vector>

#include "os/maps.hpp"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace graft::os {
namespace {

constexpr uintptr_t kLowest = uintptr_t(1) << 20;	  // above mmap_min_addr and NULL
constexpr uintptr_t kHighest = uintptr_t(0x7ffffffff000); // top of the 47-bit user space

// Candidate start addresses for len bytes in the gap [lo, hi), within reach of near:
// the address in the gap nearest to near (packing against a neighbour).
void gap_candidates(uintptr_t lo, uintptr_t hi, uintptr_t near, size_t len,
		    std::vector<uintptr_t> *out)
{
	uintptr_t rlo = near > kNearReach ? near - kNearReach : 0;
	uintptr_t rhi = near + kNearReach;
	constexpr uintptr_t kPage = 0xfff;
	lo = (std::max({lo, rlo, kLowest}) + kPage) & ~kPage;
	hi = std::min({hi, rhi, kHighest}) & ~kPage;
	if (hi <= lo || hi - lo < len)
		return;
	out->push_back(std::clamp(near & ~kPage, lo, hi - len));
}

} // namespace

uintptr_t map_near(uintptr_t near, size_t len, std::string *why)
{
	std::vector<Mapping> maps;
	if (!read_maps(&maps)) {
		if (why)
			*why = "cannot read /proc/self/maps to place code near the function";
		return 0;
	}
	std::vector<uintptr_t> cands;
	uintptr_t prev_end = 0;
	bool prev_heap = false;
	for (size_t i = 0; i <= maps.size(); ++i) {
		uintptr_t next_start = i < maps.size() ? maps[i].start : kHighest;
		uintptr_t lo = prev_heap ? prev_end + kHeapSlack : prev_end;
		gap_candidates(lo, next_start, near, len, &cands);
		if (i < maps.size()) {
			prev_end = maps[i].end;
			prev_heap = maps[i].heap;
		}
	}
	auto dist = [near](uintptr_t a) { return a > near ? a - near : near - a; };
	std::sort(cands.begin(), cands.end(),
		  [&](uintptr_t a, uintptr_t b) { return dist(a) < dist(b); });
	for (uintptr_t a : cands) {
		void *p = ::mmap(reinterpret_cast<void *>(a), len, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue; // raced with another mapping: try the next gap
		if (reinterpret_cast<uintptr_t>(p) == a)
			return a;
		::munmap(p, len); // a kernel without MAP_FIXED_NOREPLACE took it as a hint
	}
	if (why) {
		char buf[160];
		std::snprintf(buf, sizeof buf,
			      "no free address range of %zu bytes within 2 GiB of %#lx", len,
			      static_cast<unsigned long>(near));
		*why = buf;
	}
	return 0;
}

} // namespace graft::os
