// SPDX-License-Identifier: MIT
// fence.hpp - an asymmetric memory barrier for this process: the rare side calls
// process_fence(), and every other thread of the process needs only a compiler barrier
// where a full fence (mfence, a locked instruction) would otherwise be, because
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes each of them execute a full barrier
// (an IPI to the CPUs that run one, a context switch for the others) before it returns.
#pragma once

namespace graft::os {

// Registers MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED once (Linux >= 4.14). False when
// the kernel or a seccomp filter refuses it: then process_fence must not be used. A fork
// child inherits the registration (checked on 6.18: its membarrier returns 0); exec ends it.
bool process_fence_init();
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED). Only after process_fence_init said true
// (the kernel refuses the command of an unregistered process; after the registration it
// has no error to give). A full fence on the caller too.
void process_fence();

} // namespace graft::os
