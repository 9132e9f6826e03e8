// SPDX-License-Identifier: MIT
// ptrace.cpp - seize, stop, save, call, restore and detach one thread of the target
// (see ptrace.hpp). Waits poll with a deadline: a thread that never stops is reported,
// never waited for forever.
#include "ptrace.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <elf.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace graft::cli::tracer {
namespace {

using Clock = std::chrono::steady_clock;

// The fake return address: never mapped (below mmap_min_addr), so returning there
// faults with rip == kSentinel, as frida's DUMMY_RETURN_ADDRESS.
constexpr uint64_t kSentinel = 0x320;
constexpr size_t kRedZone = 128;

void on_alarm(int) {}

// A blocking waitpid that a one-shot SIGALRM interrupts at the deadline: wakes at once
// when the thread stops (polling would add its period to the time the thread is held).
// The alarm goes to the calling thread alone (a timer with SIGEV_THREAD_ID):
// `apply --all --attach` attaches from several threads at once, and a process-wide
// alarm (setitimer) was taken by another thread, so this one waited forever on a
// stopped target.
struct ThreadAlarm {
	timer_t timer{};
	bool made = false;
	~ThreadAlarm()
	{
		if (made)
			timer_delete(timer);
	}
};

// False when no timer could be made (the caller then polls).
bool arm_alarm(int ms)
{
	static bool installed = [] {
		struct sigaction sa {};
		sa.sa_handler = on_alarm; // no SA_RESTART: waitpid returns EINTR
		sigaction(SIGALRM, &sa, nullptr);
		return true;
	}();
	(void)installed;
	thread_local ThreadAlarm alarm;
	if (!alarm.made) {
		sigevent sev{};
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = SIGALRM;
		sev._sigev_un._tid = gettid();
		alarm.made = timer_create(CLOCK_MONOTONIC, &sev, &alarm.timer) == 0;
	}
	itimerspec it{};
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_nsec = long(ms % 1000) * 1000000; // ms > 0: armed; 0: disarmed
	return alarm.made && timer_settime(alarm.timer, 0, &it, nullptr) == 0;
}

} // namespace

int seize(pid_t tid, unsigned long options)
{
	if (ptrace(PTRACE_SEIZE, tid, nullptr, reinterpret_cast<void *>(options)) != 0)
		return errno;
	return 0;
}

int wait_stop(pid_t tid, int timeout_ms)
{
	auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	for (;;) {
		int status = 0;
		int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
										     Clock::now())
				       .count());
		if (left <= 0 && waitpid(tid, &status, __WALL | WNOHANG) != tid)
			return -1;
		if (left > 0) {
			bool armed = arm_alarm(left);
			pid_t r = waitpid(tid, &status, __WALL | (armed ? 0 : WNOHANG));
			if (armed)
				arm_alarm(0);	// disarm
			if (!armed && r == 0) { // no timer: poll every millisecond
				usleep(1000);
				continue;
			}
			if (r != tid) {
				if (errno == EINTR)
					continue;
				return -1;
			}
		}
		return WIFSTOPPED(status) ? status : -1;
	}
}

bool stop(pid_t tid, int timeout_ms, std::string *why)
{
	if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
		*why = std::string("PTRACE_INTERRUPT: ") + strerror(errno);
		return false;
	}
	for (int i = 0; i < 64; i++) {
		int status = wait_stop(tid, timeout_ms);
		if (status < 0) {
			*why = "the thread did not stop within " + std::to_string(timeout_ms) +
			       " ms";
			return false;
		}
		if (status >> 16 == PTRACE_EVENT_STOP)
			return true; // the interrupt (or a group-stop, which the caller checked)
		// A signal arrived first: let the thread have it; the interrupt is sticky.
		if (ptrace(PTRACE_CONT, tid, nullptr,
			   reinterpret_cast<void *>(uintptr_t(WSTOPSIG(status)))) != 0) {
			*why = std::string("PTRACE_CONT: ") + strerror(errno);
			return false;
		}
	}
	*why = "the thread kept receiving signals";
	return false;
}

bool detach(pid_t tid)
{
	return ptrace(PTRACE_DETACH, tid, nullptr, nullptr) == 0;
}

bool save(pid_t tid, ThreadState *st, std::string *why)
{
	if (ptrace(PTRACE_GETREGS, tid, nullptr, &st->regs) != 0) {
		*why = std::string("PTRACE_GETREGS: ") + strerror(errno);
		return false;
	}
	// Larger than any XSAVE layout today (AMX is ~11 KiB); the kernel trims iov_len.
	st->xstate.assign(64 * 1024, 0);
	iovec iov{st->xstate.data(), st->xstate.size()};
	if (ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void *>(uintptr_t(NT_X86_XSTATE)),
		   &iov) != 0) {
		*why = std::string("PTRACE_GETREGSET(NT_X86_XSTATE): ") + strerror(errno);
		return false;
	}
	st->xstate.resize(iov.iov_len);
	if (ptrace(PTRACE_GETSIGMASK, tid, reinterpret_cast<void *>(sizeof(st->sigmask)),
		   &st->sigmask) != 0) {
		*why = std::string("PTRACE_GETSIGMASK: ") + strerror(errno);
		return false;
	}
	return true;
}

bool restore(pid_t tid, const ThreadState &st, std::string *why)
{
	std::vector<uint8_t> xs = st.xstate;
	iovec iov{xs.data(), xs.size()};
	uint64_t mask = st.sigmask;
	const char *what = nullptr;
	if (ptrace(PTRACE_SETREGS, tid, nullptr, &st.regs) != 0)
		what = "PTRACE_SETREGS";
	else if (ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void *>(uintptr_t(NT_X86_XSTATE)),
			&iov) != 0)
		what = "PTRACE_SETREGSET(NT_X86_XSTATE)";
	else if (ptrace(PTRACE_SETSIGMASK, tid, reinterpret_cast<void *>(sizeof(mask)), &mask) != 0)
		what = "PTRACE_SETSIGMASK";
	if (!what)
		return true;
	*why = std::string(what) + ": " + strerror(errno);
	return false;
}

bool block_all_signals(pid_t tid)
{
	uint64_t all = ~uint64_t(0);
	return ptrace(PTRACE_SETSIGMASK, tid, reinterpret_cast<void *>(sizeof(all)), &all) == 0;
}

bool write_mem(pid_t tid, uintptr_t addr, const void *data, size_t len)
{
	iovec local{const_cast<void *>(data), len};
	iovec remote{reinterpret_cast<void *>(addr), len};
	return process_vm_writev(tid, &local, 1, &remote, 1, 0) == ssize_t(len);
}

bool read_mem(pid_t tid, uintptr_t addr, void *data, size_t len)
{
	iovec local{data, len};
	iovec remote{reinterpret_cast<void *>(addr), len};
	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == ssize_t(len);
}

std::string read_string(pid_t tid, uintptr_t addr, size_t max)
{
	std::string s(max, '\0');
	for (size_t len = max; len >= 16; len /= 2) // a short string may end near a page end
		if (read_mem(tid, addr, s.data(), len)) {
			s.resize(strnlen(s.data(), len));
			return s;
		}
	return std::string();
}

namespace {

// The call's frame: [rsp] = kSentinel, data (if any) above it, everything below the
// thread's red zone and 16-byte aligned so that (rsp + 8) % 16 == 0 at entry.
bool set_frame(pid_t tid, user_regs_struct *r, const Call &c, std::string *why)
{
	uint64_t sp = (r->rsp - kRedZone - c.data.size() - 1) & ~uint64_t(15);
	uint64_t data_at = sp;
	if (!c.data.empty() && !write_mem(tid, data_at, c.data.c_str(), c.data.size() + 1)) {
		*why = std::string("cannot write the call's data on the thread's stack: ") +
		       strerror(errno);
		return false;
	}
	sp -= 16;
	// A function that never returns gets 0: the end of the stack for an unwinder
	// (pthread_exit unwinds), where kSentinel would be read as code.
	uint64_t ret = c.no_return ? 0 : kSentinel;
	if (!write_mem(tid, sp - 8, &ret, 8)) {
		*why = std::string("cannot write on the thread's stack: ") + strerror(errno);
		return false;
	}
	r->rsp = sp - 8;
	unsigned long long *slots[6] = {&r->rdi, &r->rsi, &r->rdx, &r->rcx, &r->r8, &r->r9};
	for (size_t i = 0; i < c.args.size() && i < 6; i++)
		*slots[i] = c.args[i] == kData ? data_at : c.args[i];
	r->rip = c.fn;
	r->rax = 0;
	r->orig_rax = ~0ULL; // no syscall restart while the call runs (gdb, frida)
	return true;
}

// Waits for the call's end: the fault at kSentinel. Clone events are noted and passed.
CallResult finish_call(pid_t tid, const Call &c)
{
	CallResult res;
	auto deadline = Clock::now() + std::chrono::milliseconds(c.timeout_ms);
	for (;;) {
		int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
										     Clock::now())
				       .count());
		int status = wait_stop(tid, left > 0 ? left : 0);
		if (status < 0) {
			res.timed_out = true;
			res.why = "the call did not return within " + std::to_string(c.timeout_ms) +
				  " ms";
			return res;
		}
		int sig = WSTOPSIG(status);
		if (status >> 16 == PTRACE_EVENT_CLONE) {
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &msg);
			res.clone_tid = pid_t(msg);
		} else if (sig == SIGSEGV && status >> 16 == 0) {
			user_regs_struct r;
			ptrace(PTRACE_GETREGS, tid, nullptr, &r);
			if (r.rip == kSentinel) {
				res.ok = true;
				res.ret = r.rax;
				return res;
			}
			res.why = "the call crashed (SIGSEGV at " + std::to_string(r.rip) + ")";
			return res;
		} else if (status >> 16 == 0 && sig != SIGSTOP && sig != SIGTRAP) {
			res.why = std::string("the call stopped with signal ") + strsignal(sig);
			return res;
		}
		if (ptrace(PTRACE_CONT, tid, nullptr, nullptr) != 0) {
			res.why = std::string("PTRACE_CONT: ") + strerror(errno);
			return res;
		}
	}
}

} // namespace

CallResult call(pid_t tid, const user_regs_struct &base, const Call &c)
{
	CallResult res;
	user_regs_struct r = base;
	if (!set_frame(tid, &r, c, &res.why))
		return res;
	if (ptrace(PTRACE_SETREGS, tid, nullptr, &r) != 0) {
		res.why = std::string("PTRACE_SETREGS: ") + strerror(errno);
		return res;
	}
	if (c.no_return) {
		res.ok = detach(tid);
		if (!res.ok)
			res.why = std::string("PTRACE_DETACH: ") + strerror(errno);
		return res;
	}
	if (ptrace(PTRACE_CONT, tid, nullptr, nullptr) != 0) {
		res.why = std::string("PTRACE_CONT: ") + strerror(errno);
		return res;
	}
	res = finish_call(tid, c);
	if (res.timed_out) {
		// Stop it again so that the caller can restore it.
		std::string why;
		if (!stop(tid, 2000, &why))
			res.why += "; and it cannot be stopped again: " + why;
	}
	return res;
}

} // namespace graft::cli::tracer
