// SPDX-License-Identifier: MIT
// maps.hpp - the process's own memory map (/proc/self/maps), read without the C++ heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graft::os {

struct Mapping {
	uintptr_t start = 0;
	uintptr_t end = 0; // exclusive
	int prot = 0;	   // PROT_READ | PROT_WRITE | PROT_EXEC
	bool heap = false; // "[heap]": the brk area grows up from its end; never map just above it
};

// Every mapping, sorted by address. False if /proc/self/maps cannot be read.
bool read_maps(std::vector<Mapping> *out);

} // namespace graft::os
