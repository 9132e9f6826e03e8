// SPDX-License-Identifier: MIT
// ptrace.hpp - the tracer side of `graft attach`: one seized thread at a time, its
// whole state (general registers, the XSAVE area, the signal mask) saved and restored
// exactly, and calls into the target made on it with a fake return address that
// faults (nothing is ever written into the target's code).
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace graft::cli::tracer {

// Everything the kernel lets a tracer change in a thread that a call could clobber.
struct ThreadState {
	user_regs_struct regs{};
	std::vector<uint8_t> xstate; // NT_X86_XSTATE, sized by the kernel
	uint64_t sigmask = 0;
};

// PTRACE_SEIZE with options; returns 0 or errno. Does not stop the thread.
int seize(pid_t tid, unsigned long options);

// PTRACE_INTERRUPT, then waits for the interrupt's stop, passing real signals that
// arrive first back to the thread. False with *why on timeout or exit.
bool stop(pid_t tid, int timeout_ms, std::string *why);

// PTRACE_DETACH from a stop, delivering no signal.
bool detach(pid_t tid);

bool save(pid_t tid, ThreadState *st, std::string *why);
bool restore(pid_t tid, const ThreadState &st, std::string *why);
bool block_all_signals(pid_t tid);

// Memory of the thread's process, by process_vm_readv/writev (writable pages only).
bool write_mem(pid_t tid, uintptr_t addr, const void *data, size_t len);
bool read_mem(pid_t tid, uintptr_t addr, void *data, size_t len);
std::string read_string(pid_t tid, uintptr_t addr, size_t max);

// A call of fn(args...) on the stopped thread tid, on its own stack below the red
// zone, returning to kSentinel (which faults: the SIGSEGV stop there ends the call).
// `base` is the register set to start from (the saved one). `data` is copied below the
// frame first and its address passed where an argument is kData (at most one buffer).
// On a PTRACE_EVENT_CLONE stop, *clone_tid gets the new thread's id.
constexpr uint64_t kData = ~uint64_t(0) - 1;
struct Call {
	uintptr_t fn = 0;
	std::vector<uint64_t> args;
	std::string data;
	int timeout_ms = 5000;
	bool no_return = false; // start it and detach: the function never returns
};
struct CallResult {
	bool ok = false;
	bool timed_out = false;
	uint64_t ret = 0;
	pid_t clone_tid = 0;
	std::string why;
};
CallResult call(pid_t tid, const user_regs_struct &base, const Call &c);

// Waits for a stop of tid (any kind); returns the wait status or -1 on timeout/exit.
int wait_stop(pid_t tid, int timeout_ms);

} // namespace graft::cli::tracer
