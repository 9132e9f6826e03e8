// SPDX-License-Identifier: MIT
// fence.cpp - membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), the process-wide fence.
#include "os/fence.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace graft::os {
namespace {

std::atomic<int> g_state{0}; // 0 not asked yet, 1 registered, -1 refused

} // namespace

bool process_fence_init()
{
	int state = g_state.load(std::memory_order_acquire);
	if (state == 0) {
		long r =
			::syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
		state = r == 0 ? 1 : -1;
		g_state.store(state, std::memory_order_release);
	}
	return state > 0;
}

void process_fence()
{
	// The seq_cst fences around it order this thread's own accesses (the kernel's
	// smp_mb does too; this says so to the compiler, which cannot see into syscall).
	std::atomic_thread_fence(std::memory_order_seq_cst);
	::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	std::atomic_thread_fence(std::memory_order_seq_cst);
}

} // namespace graft::os
