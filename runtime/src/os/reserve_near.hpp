// SPDX-License-Identifier: MIT
// reserve_near.hpp - steer the next mappings made without an address (the loader's
// mmap(NULL, whole span) of a dlopen) below an address, by reserving every free gap
// above it for a moment. dlopen takes no address; the kernel's top-down layout puts such
// a mapping in the highest free gap below mmap_base that fits, so with every gap above
// limit taken it lands just below limit (docs/architecture.md, "Module placement").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace graft::os {

struct Reserved {
	uintptr_t start = 0;
	uintptr_t end = 0; // exclusive
};

// Reserves (PROT_NONE, private anonymous, MAP_NORESERVE: no memory, no commit charge)
//  - every free gap between limit and the main thread's stack, leaving the stack its
//    room to grow (RLIMIT_STACK and a guard gap below its top) free, and
//  - [heap end + 64 MiB, heap end + kHeapSlack) below limit: brk grows there, so the
//    module goes to the top of the window and the heap keeps its room (the first
//    64 MiB stay free: the program's own brk may grow meanwhile).
// Each with MAP_FIXED_NOREPLACE, so nothing mapped is ever replaced: a gap taken by
// another thread meanwhile (EEXIST) or a kernel without MAP_FIXED_NOREPLACE ends it.
// True with the ranges in *out; false with nothing left reserved and *why (no [stack]
// mapping, an unlimited stack: the kernel's bottom-up layout, a gap taken).
bool reserve_above(uintptr_t limit, std::vector<Reserved> *out, std::string *why);

// Unmaps exactly the ranges reserve_above returned, and clears them. Residual risk: a
// thread that mapped over a reserved range with MAP_FIXED meanwhile (an address it did
// not own: already a bug of that program) loses that mapping.
void release_reserved(std::vector<Reserved> *ranges);

// Fork: the reservations held by any thread at a fork would stay in the child forever
// (the thread that releases them does not exist there). Every range is recorded in a
// registry; the fork handlers (core/init.cpp) hold its lock across fork, and the child
// unmaps whatever it holds.
void reserve_before_fork();
void reserve_after_fork_parent();
void reserve_after_fork_child();

} // namespace graft::os
