// SPDX-License-Identifier: MIT
// switcher.cpp - switching the threads of the process, blocked ones without a signal.
#include "transition/switcher.hpp"

#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/deferred_signals.hpp"
#include "os/thread_signal.hpp"
#include "transition/context.hpp"
#include "transition/switch_routines.hpp"
#include "os/threads.hpp"

namespace graft::transition {
namespace {

// Under ThreadSanitizer (base/deferred_signals.hpp) the handler runs late, when the
// thread leaves one of TSan's interceptors, on a copy of the context from the signal's
// arrival: judged from that context, check_self would switch a thread by a position it
// has left (one that entered an affected function meanwhile: mixed versions). A TSan
// build judges the thread where it is instead (check_live).

// A thread's verdict, written by its signal handler for the round's report.
struct Record {
	pid_t tid;
	Verdict verdict;
	int name;
};
constexpr size_t kMaxRecords = 1024;

struct Round {
	const CheckSet *set;
	Published p;
	std::vector<pid_t> sleepers; // blocked threads to signal too (sorted)
	std::atomic<size_t> n{0};
	Record recs[kMaxRecords];
};

// glibc's rt_sigreturn trampoline (__restore_rt: mov $15, %rax; syscall). A thread
// there is between a signal handler and the sigreturn that restores its real PC (which
// the handler may have changed: graft's SIGTRAP handler redirects threads), held in the
// signal frame, not as a return address: the conservative scan cannot see it.
bool in_sigreturn(const CheckSet &set, uintptr_t pc)
{
	static const uint8_t kSigreturn[9] = {0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05};
	uint8_t code[sizeof kSigreturn];
	for (uintptr_t at : {pc, pc - 7})
		if (read_mapped(set, at, code, sizeof code) &&
		    std::memcmp(code, kSigreturn, sizeof code) == 0)
			return true;
	return false;
}

// The interrupted thread's stack, judged from the signal's context.
CheckResult check_interrupted(const CheckSet &set, const ucontext_t *uc)
{
	// Between the two halves of a context switch its stack is not the one its state
	// belongs to, and inside the switch routine itself (tracked or not) its frames
	// cannot be followed: reported as running, checked again next round.
	auto pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
	bool switching = context_switching() || in_switch_routine(pc);
	auto sp = uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
	// The unwinder sees real frames only; the conservative scan also counts stale
	// return addresses left in live frames, so it is the fallback (not in the sigreturn
	// trampoline, where only the unwinder finds the PC the thread returns to).
	CheckResult r{Verdict::unreliable, -1};
	if (!switching && !check_own_stack_precisely(set, pc, &r) && !in_sigreturn(set, pc))
		r = check_stack_to(set, pc, sp, context_stack_hi());
	return r;
}

// Under TSan (kDeferredSignals): the thread's live stack, from this frame up. The
// unwinder goes through TSan's frames to the code that called the interceptor (and
// through the kernel's signal frame when TSan ran the handler at once, in a blocking
// call), judging every return address; the conservative scan from here to the stack's
// top is the fallback, with a PC in no affected function. Between the halves of a
// switch (a switch routine itself calls no interceptor), or on an alternate signal
// stack (a handler of the program's, itself deferred, that called an interceptor: the
// thread's own frames are on another stack), it cannot tell: reported as running.
CheckResult check_live(const CheckSet &set)
{
	if (context_switching() || os::on_alternate_signal_stack())
		return {Verdict::unreliable, -1};
	CheckResult r{Verdict::unreliable, -1};
	if (check_own_stack_precisely(set, 0, &r))
		return r;
	auto here = uintptr_t(__builtin_frame_address(0));
	uintptr_t hi = context_stack_hi();
	if (hi && here >= hi) // not on the fiber stack graft believes current
		return {Verdict::unreliable, -1};
	return check_stack_to(set, 0, here, hi);
}

// In the signal handler of a thread running in user space: switch itself if clean.
void check_self(void *arg, ucontext_t *uc)
{
	auto *round = static_cast<Round *>(arg);
	pid_t tid = self_tid();
	if (is_internal(tid) || current_state(round->p) == round->p.target)
		return;
	CheckResult r =
		kDeferredSignals ? check_live(*round->set) : check_interrupted(*round->set, uc);
	if (r.verdict == Verdict::clean && switch_self(round->p, round->p.target))
		return;
	size_t i = round->n.fetch_add(1, std::memory_order_relaxed);
	if (i < kMaxRecords)
		round->recs[i] = Record{tid, r.verdict, r.name};
}

bool running_needs_signal(void *arg, pid_t tid)
{
	auto *round = static_cast<Round *>(arg);
	return !is_internal(tid) && state_of(tid, round->p) != round->p.target;
}

bool blocked_needs_signal(void *arg, pid_t tid, uintptr_t, uintptr_t)
{
	// Checked from outside by check_blocked; signalled only when the transition has
	// waited long (see try_switch_all), to check them precisely.
	const auto &s = static_cast<Round *>(arg)->sleepers;
	return std::binary_search(s.begin(), s.end(), tid);
}

// Context-switch counts and scheduler state: unchanged between two reads means the
// thread did not run in between.
struct RunMark {
	os::KernelState ks;
	long ctxt = -1;
	bool same(const RunMark &o) const
	{
		return !ks.running && !o.ks.running && ks.nr == o.ks.nr && ks.pc == o.ks.pc &&
		       ks.sp == o.ks.sp && ctxt == o.ctxt && ctxt >= 0;
	}
};

// Its scheduler state and a count of the times it was scheduled in. Runs between mark
// and finish_mark: the marked thread may wake holding any lock of the program's (the
// allocator's, stdio's) and then wait for our verdict in select, so this window reads
// through os/ into stack buffers (system calls only: openat, pread) and takes no lock
// and allocates nothing.
RunMark run_mark(os::ThreadFiles &files)
{
	RunMark m;
	if (!files.kernel_state(&m.ks))
		m.ks.running = true;
	m.ctxt = files.run_count();
	return m;
}

std::string reason_of(const CheckSet &set, Verdict v, int name, bool blocked)
{
	const char *fn = name >= 0 ? set.names[size_t(name)].c_str() : "?";
	switch (v) {
	case Verdict::running_in:
		return std::string(blocked ? "sleeping in " : "running in ") + fn;
	case Verdict::on_stack:
		return std::string(blocked ? "sleeping in " : "has ") + fn +
		       (blocked ? "" : " on its stack");
	case Verdict::unreliable:
		return "unreliable stack";
	default:
		return "running";
	}
}

enum class Outcome { switched, held, needs_signal };

// The handshake for a thread blocked in the kernel: mark it, confirm it stayed asleep
// while its stack was read, then switch it.
Outcome check_blocked(const CheckSet &set, const Published &p, pid_t tid, os::ThreadFiles &files,
		      std::string *why)
{
	uint64_t prev;
	if (!mark(tid, p, &prev))
		return Outcome::needs_signal;
	RunMark before = run_mark(files);
	CheckResult r{Verdict::unreliable, -1};
	// Another thread's stack, read through process_vm_readv: if the thread wakes and
	// exits meanwhile its stack may be unmapped under the scan, which then gives
	// "unreliable" (EFAULT) instead of a fault in the transition thread.
	if (!before.ks.running && before.ks.nr >= 0)
		r = check_suspended(set, before.ks.pc, before.ks.sp, 0);
	RunMark after = run_mark(files);
	if (!before.same(after)) {
		finish_mark(tid, p, -1, prev);
		return Outcome::needs_signal; // it ran: it is checked as a running thread
	}
	if (r.verdict == Verdict::clean) {
		finish_mark(tid, p, p.target, prev);
		return Outcome::switched;
	}
	finish_mark(tid, p, -1, prev);
	*why = reason_of(set, r.verdict, r.name, true);
	return Outcome::held;
}

void signal_running(Round *round)
{
	os::ThreadRequest req;
	req.fn = check_self;
	req.arg = round;
	req.running_needs_signal = running_needs_signal;
	req.blocked_needs_signal = blocked_needs_signal;
	req.timeout_ms = 50;
	std::string ignored; // threads that did not answer are reported per thread below
	os::run_on_threads(req, &ignored);
}

// asleep: what the outside check found for a blocked thread signalled to be checked
// precisely ("" if it was not one). A thread that does not answer that signal is most
// likely still asleep there (e.g. in a call whose signal a sanitizer defers until it
// returns): say so, not "running".
std::string reason_unanswered(pid_t tid, const Round &round, const std::string &asleep)
{
	size_t n = std::min(round.n.load(), kMaxRecords);
	for (size_t i = 0; i < n; i++)
		if (round.recs[i].tid == tid)
			return reason_of(*round.set, round.recs[i].verdict, round.recs[i].name,
					 false);
	if (os::thread_blocks_signal(tid, os::thread_signal()))
		return "blocks the signal";
	return asleep.empty() ? "running" : asleep;
}

std::string asleep_why(const std::vector<std::pair<pid_t, std::string>> &asleep, pid_t tid)
{
	for (const auto &[t, why] : asleep)
		if (t == tid)
			return why;
	return {};
}

// The threads' part of a round.
void switch_threads(const CheckSet &set, const Published &p, bool signals, bool signal_sleepers,
		    RoundResult *out)
{
	RoundResult &res = *out;
	auto round = std::make_unique<Round>();
	std::vector<pid_t> tids, running;
	std::vector<std::pair<pid_t, std::string>> asleep; // held sleepers and why
	os::list_threads(&tids);
	pid_t self = os::current_tid();
	os::TaskDir task_dir;
	for (pid_t tid : tids) {
		if (tid == self || is_internal(tid))
			continue;
		res.total++;
		if (state_of(tid, p) == p.target) {
			res.switched++;
			continue;
		}
		std::string why;
		os::KernelState ks;
		os::ThreadFiles files(task_dir, tid);
		bool blocked = files.kernel_state(&ks) && !ks.running && ks.nr >= 0;
		Outcome o =
			blocked ? check_blocked(set, p, tid, files, &why) : Outcome::needs_signal;
		if (o == Outcome::switched) {
			res.switched++;
		} else if (o == Outcome::held && !signal_sleepers) {
			res.holds.push_back(Hold{tid, os::thread_comm(tid), why});
		} else {
			if (o == Outcome::held) {
				round->sleepers.push_back(tid);
				asleep.emplace_back(tid, std::move(why));
			}
			running.push_back(tid);
		}
	}
	if (running.empty())
		return;
	std::sort(round->sleepers.begin(), round->sleepers.end());
	res.signalled_sleepers = int(round->sleepers.size());
	round->set = &set;
	round->p = p;
	if (signals)
		signal_running(round.get());
	for (pid_t tid : running) {
		if (!os::thread_alive(tid)) {
			res.total--;
			continue;
		}
		if (state_of(tid, p) == p.target)
			res.switched++;
		else
			res.holds.push_back(
				Hold{tid, os::thread_comm(tid),
				     reason_unanswered(tid, *round, asleep_why(asleep, tid))});
	}
}

} // namespace

RoundResult try_switch_all(const CheckSet &set, const Published &p, bool signals,
			   bool signal_sleepers)
{
	RoundResult res;
	uint64_t moves = moves_begin();
	ContextRound cr = try_switch_contexts(set, p);
	res.fibers_total = cr.total;
	res.fibers_switched = cr.switched;
	for (ContextHold &h : cr.holds)
		res.holds.push_back(Hold{0, "fiber " + std::to_string(h.id), std::move(h.reason)});
	if (cr.unlisted)
		res.holds.push_back(
			Hold{0, "fibers", std::to_string(cr.unlisted) + " more hold it"});
	switch_threads(set, p, signals, signal_sleepers, &res);
	res.quiet = moves_quiet(moves);
	return res;
}

} // namespace graft::transition
