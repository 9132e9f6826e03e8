// SPDX-License-Identifier: MIT
// threads.hpp - the threads of this process as /proc/self/task shows them.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace graft::os {

pid_t current_tid();
// Every thread id of this process (including the caller). False if /proc is unreadable.
bool list_threads(std::vector<pid_t> *tids);
bool thread_alive(pid_t tid);

// /proc/self/task/TID/syscall: "running" (on a CPU or runnable), or blocked in the
// kernel with the user-space SP and PC (nr = -1 when blocked but not in a system call,
// e.g. a page fault or a stop).
struct KernelState {
	bool running = true;
	long nr = -1;
	uintptr_t sp = 0;
	uintptr_t pc = 0;
};
bool read_kernel_state(pid_t tid, KernelState *out);

std::string thread_comm(pid_t tid);	       // /proc/self/task/TID/comm, "" if gone
bool thread_blocks_signal(pid_t tid, int sig); // SigBlk of /proc/self/task/TID/status
char thread_run_state(pid_t tid);
// voluntary_ctxt_switches + nonvoluntary_ctxt_switches of /proc/self/task/TID/status, -1
// if gone. Reads into a stack buffer: no allocation, no lock (the transition thread
// calls it while a thread it marked may wait for it).
long thread_context_switches(pid_t tid);
// True when the calling thread runs on its alternate signal stack (sigaltstack's
// SS_ONSTACK). Async-signal-safe.
bool on_alternate_signal_stack(); // R, S, D, T, t, Z... ('?' if gone)

} // namespace graft::os
