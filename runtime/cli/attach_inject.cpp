// SPDX-License-Identifier: MIT
// attach_inject.cpp - the injection of `graft attach` (shared/research/attach.md §5):
//
//   1. one application thread, chosen blocked in a restartable system call (or running
//      outside libc and the loader), is seized and stopped; its registers, XSAVE area
//      and signal mask are saved and every signal is blocked;
//   2. on its stack, below the red zone, it calls pthread_create(&t, NULL, pause, NULL):
//      the new thread inherits the all-blocked mask and sleeps in pause() holding no
//      lock; PTRACE_O_TRACECLONE hands it to us;
//   3. the application thread is restored exactly (its system call restarts: the saved
//      orig_rax/rax do it) and detached; that is the only time it is stopped;
//   4. the new thread, stopped in pause(), is named "graft-boot" (which keeps
//      libgraft.so's constructor inert), dlopens libgraft.so (RTLD_NOW|RTLD_LOCAL) and
//      calls graft_attach_boot(dir), which starts the runtime; then it detaches itself
//      and exits through pthread_exit. A runtime preloaded with control on demand is
//      already there: dlopen(RTLD_NOLOAD) of the file it mapped gives its handle, and
//      its graft_attach_boot starts the control socket and thread.
//
// Nothing is written into the target's code; calls return to an unmapped address and
// the fault there ends them (it is never delivered).
#include "attach.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.hpp"
#include "ptrace.hpp"

namespace graft::cli {

const char *const kInjectFunctions[] = {
	"pthread_create", "pause",	    "dlopen",	    "dlerror",
	"dlsym",	  "pthread_detach", "pthread_exit", "pthread_setname_np",
	"memfd_create",	  "close"};
const size_t kInjectFunctionCount = sizeof(kInjectFunctions) / sizeof(kInjectFunctions[0]);

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kHijackCallMs = 2000; // pthread_create on an application thread
constexpr int kBootStepMs = 30000;  // dlopen and runtime start on our own thread
constexpr int kRtldNowLocal = 2;    // RTLD_NOW | RTLD_LOCAL
constexpr int kBorrowSec = 5;	    // spawn_boot_thread's retries
constexpr int kRtldNoload = 4;	    // RTLD_NOLOAD: the handle of the copy already loaded

Failure refuse(const std::string &msg)
{
	return Failure{kExitFailed, msg};
}

// System calls that the kernel restarts after a ptrace stop without the thread seeing
// EINTR (measured in attach.md §1.9.6); epoll_wait and sigtimedwait are not among them.
bool restartable(long nr)
{
	switch (nr) {
	case SYS_read:
	case SYS_poll:
	case SYS_pread64:
	case SYS_readv:
	case SYS_select:
	case SYS_pause:
	case SYS_nanosleep:
	case SYS_accept:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_wait4:
	case SYS_futex:
	case SYS_clock_nanosleep:
	case SYS_pselect6:
	case SYS_ppoll:
	case SYS_accept4:
	case SYS_waitid:
		return true;
	default:
		return false;
	}
}

// Candidates, best first: blocked in a restartable call (the main thread first), then
// running ones (checked once stopped: not inside libc or the loader).
std::vector<ThreadInfo> candidates(pid_t pid)
{
	std::vector<ThreadInfo> blocked, running;
	for (const ThreadInfo &t : list_threads(pid)) {
		if (t.state == 'S' && restartable(t.syscall))
			(t.tid == pid ? blocked.insert(blocked.begin(), t)
				      : blocked.insert(blocked.end(), t));
		else if (t.state == 'R' || (t.state == 'S' && t.syscall == -1))
			running.push_back(t);
	}
	blocked.insert(blocked.end(), running.begin(), running.end());
	return blocked;
}

// The kernel's restart codes: a thread stopped with one of them in rax was blocked in
// the call, which restarts when it is restored; any other value means the call had
// completed and the thread was on its way back into the C library.
bool blocked_in_call(const user_regs_struct &r)
{
	long rax = long(r.rax);
	return long(r.orig_rax) >= 0 && rax <= -512 && rax >= -516;
}

bool in_range(uintptr_t pc, const std::vector<std::pair<uintptr_t, uintptr_t>> &ranges)
{
	for (const auto &r : ranges)
		if (pc >= r.first && pc < r.second)
			return true;
	return false;
}

std::vector<std::pair<uintptr_t, uintptr_t>> loader_text(pid_t pid)
{
	std::vector<std::pair<uintptr_t, uintptr_t>> out;
	std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
	std::string line;
	while (std::getline(in, line)) {
		unsigned long a = 0, b = 0;
		char perms[8] = "";
		if (sscanf(line.c_str(), "%lx-%lx %7s", &a, &b, perms) != 3 || perms[2] != 'x')
			continue;
		if (line.find("/libc.so.6") != std::string::npos ||
		    line.find("/ld-linux") != std::string::npos)
			out.emplace_back(a, b);
	}
	return out;
}

// Room below sp in the mapping that holds it: the call runs on the borrowed thread's
// stack (pthread_create needs a few KiB), so a thread on a small signal or fiber stack
// is not borrowed. The main thread's [stack] grows on demand.
constexpr uintptr_t kStackRoom = 64 * 1024;

bool stack_has_room(pid_t pid, uintptr_t sp)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
	std::string line;
	while (std::getline(in, line)) {
		unsigned long a = 0, b = 0;
		if (sscanf(line.c_str(), "%lx-%lx", &a, &b) != 2 || sp < a || sp >= b)
			continue;
		return line.find("[stack]") != std::string::npos || sp - a >= kStackRoom;
	}
	return false;
}

struct Hijack {
	pid_t tid = 0;
	long syscall = -1;
	tracer::ThreadState saved;
	Clock::time_point stopped_at;
};

// Seizes and stops one candidate at a safe point; false if it is not one (released).
bool try_stop(const AttachPlan &p, pid_t tid,
	      const std::vector<std::pair<uintptr_t, uintptr_t>> &unsafe, Hijack *h,
	      std::string *why)
{
	int err = tracer::seize(tid, PTRACE_O_TRACECLONE);
	if (err == EPERM)
		throw refuse("not permitted to trace process " + std::to_string(tid) +
			     " (a thread of the target) (PTRACE_SEIZE: EPERM): run graft as the "
			     "process's user or as "
			     "root; a process that changed its user (non-dumpable) needs root, and "
			     "kernel.yama.ptrace_scope 1-2 needs CAP_SYS_PTRACE, 3 forbids it" +
			     std::string(p.maps.has_runtime
						 ? " (its runtime waits for a first command to "
						   "start its control: start the program with "
						   "GRAFT_CONTROL=at-start to need no ptrace)"
						 : ""));
	if (err) {
		*why = std::string("PTRACE_SEIZE: ") + strerror(err);
		return false;
	}
	h->stopped_at = Clock::now();
	if (!tracer::stop(tid, 2000, why) || !tracer::save(tid, &h->saved, why)) {
		tracer::detach(tid);
		return false;
	}
	h->tid = tid;
	bool blocked = blocked_in_call(h->saved.regs);
	h->syscall = blocked ? long(h->saved.regs.orig_rax) : -1;
	if (!blocked && in_range(h->saved.regs.rip, unsafe)) {
		*why = "running inside the C library or the loader";
		tracer::detach(tid);
		return false;
	}
	if (!stack_has_room(tid, h->saved.regs.rsp)) {
		*why = "on a stack with less than 64 KiB free below it";
		tracer::detach(tid);
		return false;
	}
	return true;
}

// One pass over the threads for one at a safe point, stopped in *h.
bool borrow_once(const AttachPlan &p, const std::vector<std::pair<uintptr_t, uintptr_t>> &unsafe,
		 Hijack *h, std::string *why)
{
	// The main thread alone first: enumerating 512 threads costs more than the attach.
	ThreadInfo main_thread = thread_info(p.pid, p.pid);
	if (main_thread.state == 'S' && restartable(main_thread.syscall) &&
	    try_stop(p, p.pid, unsafe, h, why))
		return true;
	for (const ThreadInfo &t : candidates(p.pid))
		if (try_stop(p, t.tid, unsafe, h, why))
			return true;
	return false;
}

// Step 1-3: returns the new thread's id, with the application thread restored. A thread
// caught inside the C library now is elsewhere a moment later: the passes are repeated
// every 5 ms for up to kBorrowSec (or the command's timeout, if shorter).
pid_t spawn_boot_thread(const AttachPlan &p, InjectStats *stats)
{
	auto unsafe = loader_text(p.pid);
	std::string why = "no thread of the process is blocked in a restartable system call "
			  "or running outside the C library";
	Hijack h;
	auto deadline = Clock::now() + std::chrono::seconds(std::min(p.timeout_sec, kBorrowSec));
	int passes = 1;
	for (; !borrow_once(p, unsafe, &h, &why); passes++) {
		if (Clock::now() >= deadline)
			throw refuse("cannot borrow a thread of process " + std::to_string(p.pid) +
				     " in " + std::to_string(passes) + " tries: " + why +
				     " (nothing was changed; try again)");
		usleep(5000);
	}
	tracer::block_all_signals(h.tid);
	tracer::Call c;
	c.fn = p.libc.at("pthread_create");
	c.args = {tracer::kData, 0, p.libc.at("pause"), 0};
	c.data = std::string(16, '\0'); // the pthread_t written by pthread_create
	c.timeout_ms = kHijackCallMs;
	tracer::CallResult r = tracer::call(h.tid, h.saved.regs, c);
	std::string rwhy;
	bool restored = tracer::restore(h.tid, h.saved, &rwhy);
	tracer::detach(h.tid);
	stats->hijacked = h.tid;
	stats->syscall = h.syscall;
	stats->stopped_us =
		std::chrono::duration<double, std::micro>(Clock::now() - h.stopped_at).count();
	if (!restored)
		throw refuse("thread " + std::to_string(h.tid) + " could not be restored: " + rwhy);
	if (!r.ok || r.ret != 0 || !r.clone_tid)
		throw refuse("pthread_create in thread " + std::to_string(h.tid) +
			     " failed: " + (r.ok ? std::string(strerror(int(r.ret))) : r.why) +
			     " (the thread was restored" +
			     (r.timed_out ? "; it may hold a lock the call needs: try again" : "") +
			     (p.status.seccomp == 2
				      ? "; the process has a seccomp filter, which may "
					"forbid new threads: graft cannot attach to it"
				      : "") +
			     ")");
	return r.clone_tid;
}

std::string syscall_line(pid_t pid, pid_t tid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
			 "/syscall");
	std::string line;
	std::getline(in, line);
	return line;
}

// The new thread: first stop (auto-attach), then run it into pause() and stop it there.
bool park_boot_thread(pid_t pid, pid_t tid, tracer::ThreadState *st, std::string *why)
{
	if (tracer::wait_stop(tid, 5000) < 0) {
		*why = "the new thread did not report";
		return false;
	}
	ptrace(PTRACE_SETOPTIONS, tid, nullptr, nullptr); // its threads are not ours
	ptrace(PTRACE_CONT, tid, nullptr, nullptr);
	auto deadline = Clock::now() + std::chrono::seconds(10);
	while (syscall_line(pid, tid).rfind(std::to_string(SYS_pause) + " ", 0) != 0) {
		if (Clock::now() > deadline) {
			*why = "the new thread did not reach pause()";
			return false;
		}
		usleep(200);
	}
	return tracer::stop(tid, 5000, why) && tracer::save(tid, st, why);
}

struct Boot {
	const AttachPlan &plan;
	pid_t tid;
	tracer::ThreadState st;
	int memfd = -1;

	uint64_t call(uintptr_t fn, std::vector<uint64_t> args, const std::string &data = "")
	{
		tracer::Call c;
		c.fn = fn;
		c.args = std::move(args);
		c.data = data;
		c.timeout_ms = kBootStepMs;
		tracer::CallResult r = tracer::call(tid, st.regs, c);
		if (!r.ok)
			throw refuse("the runtime's boot thread " + std::to_string(tid) + ": " +
				     r.why);
		return r.ret;
	}
	uintptr_t libc(const char *name) const { return plan.libc.at(name); }
};

// The path the boot thread dlopens: the file itself, or a memfd copy of it when the
// target cannot see our file (another root or mount namespace).
std::string library_for(Boot &b)
{
	if (!b.plan.lib_path.empty())
		return b.plan.lib_path;
	b.memfd = int(b.call(b.libc("memfd_create"), {tracer::kData, 1 /* MFD_CLOEXEC */},
			     "libgraft.so"));
	if (b.memfd < 0)
		throw refuse("memfd_create failed in the target: " +
			     std::string(strerror(-b.memfd)));
	std::string fd_path =
		"/proc/" + std::to_string(b.plan.pid) + "/fd/" + std::to_string(b.memfd);
	std::ifstream src(b.plan.lib_local, std::ios::binary);
	std::ofstream dst(fd_path, std::ios::binary);
	dst << src.rdbuf();
	if (!src || !dst)
		throw refuse("cannot copy '" + b.plan.lib_local + "' into the target's memfd");
	return "/proc/self/fd/" + std::to_string(b.memfd);
}

void boot_runtime(Boot &b)
{
	b.call(b.libc("pthread_setname_np"), {b.st.regs.fs_base, tracer::kData}, "graft-boot");
	std::string lib = library_for(b);
	int mode = kRtldNowLocal | (b.plan.maps.has_runtime ? kRtldNoload : 0);
	uint64_t handle = b.call(b.libc("dlopen"), {tracer::kData, uint64_t(mode)}, lib);
	if (!handle) {
		uint64_t msg = b.call(b.libc("dlerror"), {});
		std::string err = msg ? tracer::read_string(b.tid, msg, 1024) : "unknown error";
		if (err.find("static TLS") != std::string::npos)
			err += " (the process has no static TLS left for the runtime: start it "
			       "with "
			       "'graft run' instead)";
		throw refuse("the target cannot load the runtime: " + err);
	}
	uint64_t entry = b.call(b.libc("dlsym"), {handle, tracer::kData}, "graft_attach_boot");
	if (!entry)
		throw refuse("'" + b.plan.lib_local + "' has no graft_attach_boot: wrong version?");
	uint64_t err = b.call(entry, {tracer::kData}, b.plan.runtime_dir);
	if (err)
		throw refuse("the runtime did not start: " + tracer::read_string(b.tid, err, 1024));
}

// Ends the boot thread: detached, then pthread_exit (never returns; we detach first).
void end_boot_thread(Boot &b)
{
	if (b.memfd >= 0)
		b.call(b.libc("close"), {uint64_t(b.memfd)});
	b.call(b.libc("pthread_detach"), {b.st.regs.fs_base});
	tracer::Call c;
	c.fn = b.libc("pthread_exit");
	c.args = {0};
	c.no_return = true;
	tracer::call(b.tid, b.st.regs, c);
}

} // namespace

void inject(const AttachPlan &plan, InjectStats *stats)
{
	auto start = Clock::now();
	pid_t tid = spawn_boot_thread(plan, stats);
	Boot b{plan, tid, {}, -1};
	std::string why;
	if (!park_boot_thread(plan.pid, tid, &b.st, &why)) {
		tracer::detach(tid); // it sleeps in pause() forever: harmless, but said
		throw refuse("the runtime's boot thread " + std::to_string(tid) + ": " + why +
			     " (it stays, idle, in the process)");
	}
	try {
		boot_runtime(b);
	} catch (const Failure &) {
		end_boot_thread(b);
		throw;
	}
	end_boot_thread(b);
	stats->total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace graft::cli
