// SPDX-License-Identifier: MIT
// lazy_binding.hpp - the path of a symbol's first call through a lazily bound PLT: the
// stub's jump through a cell that still holds the stub's own lazy half, that half's
// `push index; jmp PLT0`, PLT0's jump into the dynamic loader's resolver, which binds the
// cell and jumps to the function. A sibling call (`jmp f@plt`) that takes this path has
// left the jumping function's frame behind, and the code the thread is in names no
// function: it is logically inside f already, but which f only the loader knows. A thread
// on the path counts as running in it (stack_check.cpp, running_range): held and checked
// again next round, as the kernel holds a task whose state it cannot read.
#pragma once

#include <cstdint>

namespace graft::transition {

struct CheckSet;

// Finds the dynamic loader's code (AT_BASE's executable segment). Once, at start-up,
// before any transition: the loader never moves. A static program has none.
void find_loader_text();

// Whether a thread at pc is on the lazy binding path: pc in the loader's code, at a
// lazy PLT half or PLT0, or at a PLT stub whose cell leads to either. stub_to: where the
// PLT stub at pc jumps (plt_jump_target, which the caller has read), 0 if pc is none.
// Reads only memory inside set.maps. Async-signal-safe.
bool on_lazy_binding_path(const CheckSet &set, uintptr_t pc, uintptr_t stub_to);

} // namespace graft::transition
