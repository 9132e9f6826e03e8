// SPDX-License-Identifier: MIT
// late_fibers.hpp - fibers in attach mode: the interposers in ucontext.cpp and
// fcontext.cpp interpose nothing once libgraft.so is loaded late, so the loader layer
// (late_hooks.cpp) redirects libc's makecontext/swapcontext/setcontext and
// libboost_context.so's make/jump/ontop_fcontext entries to them; these atomics are
// the redirected functions' relocated entries, which the interposers forward to.
#pragma once

#include <atomic>
#include <cstdint>

namespace graft::transition {

// libc's makecontext, swapcontext, setcontext once redirected (0: not redirected).
extern std::atomic<uintptr_t> late_make, late_swap, late_set;

// The ucontext interposers' own addresses (hidden aliases): make, swap, set.
void ucontext_interposers(uintptr_t out[3]);

} // namespace graft::transition
