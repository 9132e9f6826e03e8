// SPDX-License-Identifier: MIT
// thread_signal.hpp - "stop and fix": run a short async-signal-safe function on every
// thread that runs in user space, inside a real-time signal handler, and wait for each to
// acknowledge. The code patcher moves threads out of bytes it is about to overwrite with
// it; the consistency model reuses the same signal and handler with its own request
// (the handler dispatches on the request it finds published, not on the signal).
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <ucontext.h>

namespace graft::os {

// The signal (default SIGRTMIN+7). Set it before thread_signal_init (later calls are
// refused once the handler is installed: returns false).
bool set_thread_signal(int signo);
int thread_signal();
// Installs the handler once (SA_SIGINFO | SA_RESTART), remembering the previous one:
// signals that are not ours (another sender, another si_value) go to it. Idempotent.
bool thread_signal_init(std::string *why);
// For graft's own threads, which block every other signal: lets the thread signal in, so
// they answer run_on_threads like any thread.
void unblock_thread_signal();

struct ThreadRequest {
	// Runs in the target thread's signal handler with its interrupted context (which it
	// may change, e.g. move RIP). Async-signal-safe only: no malloc, no locks, no logging.
	void (*fn)(void *arg, ucontext_t *uc) = nullptr;
	// Asked (on the calling thread) about a thread blocked in the kernel, with its user
	// SP and PC: true to signal it anyway (its PC needs fn). Threads blocked in a system
	// call are otherwise left alone: a signal would make nanosleep/poll/epoll_wait
	// return EINTR. May be null (= never).
	bool (*blocked_needs_signal)(void *arg, pid_t tid, uintptr_t pc, uintptr_t sp) = nullptr;
	// Asked (on the calling thread) about a thread running in user space: false to leave
	// it alone (it has nothing to do for this request). May be null (= signal it).
	bool (*running_needs_signal)(void *arg, pid_t tid) = nullptr;
	void *arg = nullptr;
	int timeout_ms = 2000;
};

// Signals every user-space-running thread except the caller, runs req.fn in each and
// waits until all have acknowledged or exited. On timeout returns false and *why names
// each thread that did not answer (tid, comm, and whether it blocks the signal); after
// return req.fn is never called again for this request (late signals are ignored).
// One request at a time (the caller serialises).
bool run_on_threads(const ThreadRequest &req, std::string *why);

// Statistics of the last run_on_threads (for tests and status): threads signalled and
// threads skipped because they were blocked in a system call.
struct ThreadRunStats {
	int signalled = 0;
	int skipped_blocked = 0;
};
ThreadRunStats last_thread_run_stats();

} // namespace graft::os
