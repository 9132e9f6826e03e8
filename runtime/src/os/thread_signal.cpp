// SPDX-License-Identifier: MIT
// thread_signal.cpp - the real-time signal handler and run_on_threads ("stop and fix").
#include "os/thread_signal.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "base/deferred_signals.hpp"
#include "os/threads.hpp"

namespace graft::os {
namespace {

// si_value of our signals: a tag in the high half, the request generation in the low.
constexpr uint64_t kTag = 0x67726674; // "grft"

struct Ack {
	pid_t tid = 0;
	// 1 after fn ran (release, pairs with the waiter's acquire); 2 exited; 3 asleep
	// where the request does not need it (asleep_outside, TSan builds only).
	std::atomic<int> done{0};
};

struct Active {
	uint32_t gen = 0;
	ThreadRequest req; // a copy: a handler may outlive the caller's request
	Ack *acks = nullptr;
	size_t n = 0;
};

int g_signo = 0;	    // 0 until set or initialised (then SIGRTMIN + 7)
bool g_installed = false;   // handler in place (patching thread only)
struct sigaction g_prev {}; // the handler we replaced, for signals that are not ours
// The request being served. Published (seq_cst) before the first signal is sent and
// withdrawn before its storage goes; g_in_handler (seq_cst) lets the withdrawer wait out
// any handler that loaded the old pointer (a Dekker pair: increment-then-load in the
// handler, store-then-read in run_on_threads).
std::atomic<Active *> g_active{nullptr};
std::atomic<int> g_in_handler{0};
uint32_t g_gen = 0;
ThreadRunStats g_stats;

void chain(int sig, siginfo_t *si, void *uc)
{
	if (g_prev.sa_flags & SA_SIGINFO) {
		if (g_prev.sa_sigaction)
			g_prev.sa_sigaction(sig, si, uc);
	} else if (g_prev.sa_handler != SIG_DFL && g_prev.sa_handler != SIG_IGN) {
		g_prev.sa_handler(sig);
	}
	// SIG_DFL/SIG_IGN: graft owns this signal number; a stray one is dropped rather
	// than terminating the process.
}

void handler(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	auto value = reinterpret_cast<uint64_t>(si->si_value.sival_ptr);
	bool ours = si->si_code == SI_QUEUE && si->si_pid == ::getpid() && (value >> 32) == kTag;
	if (!ours) {
		chain(sig, si, ucv);
		errno = saved_errno;
		return;
	}
	g_in_handler.fetch_add(1, std::memory_order_seq_cst);
	Active *a = g_active.load(std::memory_order_seq_cst);
	if (a && a->gen == uint32_t(value)) {
		pid_t self = pid_t(::syscall(SYS_gettid));
		for (size_t i = 0; i < a->n; ++i) {
			if (a->acks[i].tid != self)
				continue;
			if (!a->acks[i].done.load(std::memory_order_relaxed)) {
				a->req.fn(a->req.arg, static_cast<ucontext_t *>(ucv));
				a->acks[i].done.store(1, std::memory_order_release);
			}
			break;
		}
	}
	g_in_handler.fetch_sub(1, std::memory_order_seq_cst);
	errno = saved_errno;
}

bool send(pid_t tid, uint32_t gen)
{
	siginfo_t info;
	std::memset(&info, 0, sizeof info);
	info.si_signo = g_signo;
	info.si_code = SI_QUEUE;
	info.si_pid = ::getpid();
	info.si_uid = ::getuid();
	info.si_value.sival_ptr = reinterpret_cast<void *>(kTag << 32 | gen);
	return ::syscall(SYS_rt_tgsigqueueinfo, ::getpid(), tid, g_signo, &info) == 0;
}

int64_t now_ns()
{
	timespec ts;
	::clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void sleep_ns(long ns)
{
	timespec ts{0, ns};
	::nanosleep(&ts, nullptr);
}

// Withdraw the request and wait for handlers still reading it. False if one stays
// inside for 10 s (stopped in the handler): the caller then leaks the storage.
bool withdraw()
{
	g_active.store(nullptr, std::memory_order_seq_cst);
	for (int64_t end = now_ns() + 10'000'000'000; g_in_handler.load(std::memory_order_seq_cst);)
		if (now_ns() > end)
			return false;
		else
			sleep_ns(20'000);
	return true;
}

std::string describe_missing(const Active &a)
{
	std::string why;
	for (size_t i = 0; i < a.n; ++i) {
		if (a.acks[i].done.load(std::memory_order_acquire))
			continue;
		pid_t tid = a.acks[i].tid;
		char buf[200];
		bool blocks = thread_blocks_signal(tid, g_signo);
		std::snprintf(buf, sizeof buf, "%sthread %d (%s) %s signal %d",
			      why.empty() ? "" : "; ", int(tid), thread_comm(tid).c_str(),
			      blocks ? "blocks the" : "did not answer", g_signo);
		why += buf;
		if (!blocks) {
			std::snprintf(buf, sizeof buf, " (state %c)", thread_run_state(tid));
			why += buf;
		}
	}
	return why;
}

// Which threads get the signal: every other thread running in user space, and those
// blocked in the kernel that the request asks for.
void pick_targets(const ThreadRequest &req, std::vector<pid_t> *out)
{
	std::vector<pid_t> tids;
	list_threads(&tids);
	pid_t self = current_tid();
	TaskDir dir; // relative opens: ~7 us a thread instead of ~10 (issue 17)
	for (pid_t tid : tids) {
		if (tid == self)
			continue;
		KernelState ks;
		if (!ThreadFiles(dir, tid).kernel_state(&ks))
			continue; // exited meanwhile
		if (!ks.running && !(req.blocked_needs_signal &&
				     req.blocked_needs_signal(req.arg, tid, ks.pc, ks.sp))) {
			++g_stats.skipped_blocked;
			continue;
		}
		if (ks.running && req.running_needs_signal &&
		    !req.running_needs_signal(req.arg, tid))
			continue;
		out->push_back(tid);
	}
}

// Under ThreadSanitizer only (base/deferred_signals.hpp): a thread signalled while it
// ran that has since gone to sleep in a system call runs the handler only when the call
// returns, since TSan held the signal back (a control thread that went back to read():
// "did not answer signal 41 (state S)", 2 s, a failed patch). Asleep at a PC the request
// would not have signalled it for (pick_targets' rule), it has left wherever it was
// when signalled and is counted as answered, as if it had been asleep at the start.
// Without TSan the signal interrupts the sleep and the handler answers.
bool asleep_outside(const ThreadRequest &req, pid_t tid)
{
	KernelState ks;
	if (!kDeferredSignals || !read_kernel_state(tid, &ks) || ks.running || ks.nr < 0)
		return false;
	return !(req.blocked_needs_signal && req.blocked_needs_signal(req.arg, tid, ks.pc, ks.sp));
}

// Polls until every target acknowledged or exited, or the deadline.
bool wait_acks(Active *a, int timeout_ms)
{
	int64_t deadline = now_ns() + int64_t(timeout_ms) * 1'000'000;
	for (int round = 0;; ++round) {
		bool all = true;
		for (size_t i = 0; i < a->n; ++i) {
			if (a->acks[i].done.load(std::memory_order_acquire))
				continue;
			// An exiting thread never runs the handler: count it once it is gone.
			if (round % 64 == 63 && !thread_alive(a->acks[i].tid)) {
				a->acks[i].done.store(2, std::memory_order_relaxed);
				continue;
			}
			if (round % 16 == 15 && asleep_outside(a->req, a->acks[i].tid)) {
				a->acks[i].done.store(3, std::memory_order_relaxed);
				continue;
			}
			if (round % 256 == 255) // a queued signal may have been lost (queue full)
				send(a->acks[i].tid, a->gen);
			all = false;
		}
		if (all)
			return true;
		if (now_ns() > deadline)
			return false;
		sleep_ns(round < 20 ? 10'000 : 200'000);
	}
}

} // namespace

bool set_thread_signal(int signo)
{
	if (g_installed || signo < SIGRTMIN || signo > SIGRTMAX)
		return false;
	g_signo = signo;
	return true;
}

int thread_signal()
{
	return g_signo ? g_signo : SIGRTMIN + 7;
}

bool thread_signal_init(std::string *why)
{
	if (g_installed)
		return true;
	g_signo = thread_signal();
	struct sigaction sa {};
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask); // nothing interrupts the fix-up of a context
	if (::sigaction(g_signo, &sa, &g_prev) != 0) {
		if (why)
			*why = std::string("cannot install the handler of signal ") +
			       std::to_string(g_signo) + ": " + std::strerror(errno);
		return false;
	}
	g_installed = true;
	return true;
}

void unblock_thread_signal()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, thread_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

bool run_on_threads(const ThreadRequest &req, std::string *why)
{
	if (!thread_signal_init(why))
		return false;
	g_stats = ThreadRunStats{};
	std::vector<pid_t> targets;
	pick_targets(req, &targets);
	if (targets.empty())
		return true;
	// Storage outlives a handler stuck inside (see withdraw): heap, freed only when safe.
	auto a = std::make_unique<Active>();
	std::unique_ptr<Ack[]> acks(new Ack[targets.size()]);
	for (size_t i = 0; i < targets.size(); ++i)
		acks[i].tid = targets[i];
	a->gen = ++g_gen;
	a->req = req;
	a->acks = acks.get();
	a->n = targets.size();
	g_active.store(a.get(), std::memory_order_seq_cst); // before any signal is sent
	for (size_t i = 0; i < a->n; ++i) {
		if (send(a->acks[i].tid, a->gen))
			++g_stats.signalled;
		else if (errno == ESRCH)
			a->acks[i].done.store(2, std::memory_order_relaxed); // exited
	}
	bool ok = wait_acks(a.get(), req.timeout_ms);
	if (!ok && why)
		*why = describe_missing(*a);
	if (!withdraw()) {
		(void)a.release(); // a handler is still inside: leave it valid memory
		(void)acks.release();
	}
	return ok;
}

ThreadRunStats last_thread_run_stats()
{
	return g_stats;
}

} // namespace graft::os
