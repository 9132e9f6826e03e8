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

// The files of one thread a transition round reads several times (its state, and whether
// it ran between two looks), opened once: opening a /proc/self/task/TID file costs
// 5-9 us of CPU, a re-read of an open one (pread at 0) 1-2 us (docs/performance.md).
// Opens relative to /proc/self/task (TaskDir), a shorter path walk. No allocation
// and no lock after the constructor's opens: the transition thread reads them while a
// thread it marked may wait for it.
// /proc/self/task as a directory descriptor, for ThreadFiles (-1 if unreadable: then
// ThreadFiles opens the full paths).
class TaskDir {
public:
	TaskDir();
	~TaskDir();
	TaskDir(const TaskDir &) = delete;
	TaskDir &operator=(const TaskDir &) = delete;
	int fd() const { return fd_; }

private:
	int fd_;
};

class ThreadFiles {
public:
	ThreadFiles(const TaskDir &dir, pid_t tid);
	~ThreadFiles();
	ThreadFiles(const ThreadFiles &) = delete;
	ThreadFiles &operator=(const ThreadFiles &) = delete;
	// read_kernel_state, through the kept descriptor.
	bool kernel_state(KernelState *out);
	// A count that changes whenever the thread was scheduled in: the scheduler's
	// pcount (schedstat), or, without scheduler statistics, the context switches of
	// status (thread_context_switches). -1 if gone.
	long run_count();

private:
	pid_t tid_;
	int dir_;
	int syscall_fd_ = -1;
	int schedstat_fd_ = -1; // -2: not usable, status is read instead
};

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
