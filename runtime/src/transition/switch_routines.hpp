// SPDX-License-Identifier: MIT
// switch_routines.hpp - where the real stack-switch routines lie, for the stack check.
//
// A thread interrupted inside swapcontext, setcontext, jump_fcontext or ontop_fcontext
// may have loaded the next stack's pointer but not yet its return address: its frames
// are neither the old context's nor the new one's, and the unwinder, following them,
// reads wherever the half-loaded registers point (it faulted on a return address of
// 0x19). A tracked switch says so with context_switching(); an untracked one (tracking
// off, or a context made before graft was attached) says nothing, so the check also
// asks whether the interrupted PC lies in one of these routines.
#pragma once

#include <cstddef>
#include <cstdint>

namespace graft::transition {

// Records the routine [fn, fn + size); size 0: its symbol's size, or 256 bytes when
// that is unknown. Idempotent; at most 8 routines; never from a signal handler.
void note_switch_routine(const void *fn, size_t size = 0);
// Whether pc lies in a recorded routine. Async-signal-safe, lock-free.
bool in_switch_routine(uintptr_t pc);

} // namespace graft::transition
