// SPDX-License-Identifier: MIT
// maps.hpp - the process's own memory map (/proc/self/maps), read without the C++ heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graft::os {

struct Mapping {
	uintptr_t start = 0;
	uintptr_t end = 0;  // exclusive
	int prot = 0;	    // PROT_READ | PROT_WRITE | PROT_EXEC
	bool heap = false;  // "[heap]": the brk area grows up from its end; never map just above it
	bool stack = false; // "[stack]": the main thread's stack grows down from its end
};

// Every mapping, sorted by address. False if /proc/self/maps cannot be read.
bool read_maps(std::vector<Mapping> *out);

// The mapping that contains addr, asked of the kernel alone (the PROCMAP_QUERY ioctl on
// /proc/self/maps, Linux 6.11+: ~1 us, where reading the whole file costs ~0.6 us a
// mapping, 1.3 ms with a thousand threads' stacks). 1: found (heap is not filled in),
// 0: addr is not mapped, -1: the kernel cannot answer (use read_maps). Keeps the file
// open between calls (reopened in a fork child); callers serialise.
int query_mapping(uintptr_t addr, Mapping *out);

} // namespace graft::os
