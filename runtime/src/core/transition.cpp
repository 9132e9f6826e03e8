// SPDX-License-Identifier: MIT
// transition.cpp - a patch's transition from start to completion (the kernel's
// transition.c): per-thread switching through transition/, completion, reversal,
// force, and the background thread that retries until every thread has switched.
#include "core/transition.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>

#include "arch/x86_64/site.hpp"
#include "core/callbacks.hpp"
#include "core/func_stack.hpp"
#include "core/replace.hpp"
#include "base/log.hpp"
#include "core/shadow_types.hpp"
#include "os/thread_signal.hpp"
#include "transition/select.hpp"
#include "transition/stack_check.hpp"
#include "transition/switcher.hpp"
#include "transition/thread_state.hpp"

namespace graft::core {
namespace {

namespace tr = graft::transition;

// All guarded by patch_mutex.
Patch *in_transition;
TransitionDir direction;
tr::CheckSet checks; // the code threads are leaving (ranges only)
tr::RoundResult last_round;
uint64_t started_usec;
int rounds;
bool signaled_logged;
bool model_on = true;
constexpr uint64_t kSignalSleepersUsec = 1000000;

// Wakes the background thread when a transition starts (paired with patch_mutex).
// Never destroyed: destroying a condition variable the background thread waits on
// blocks exit() forever (glibc waits for its waiters).
std::condition_variable_any &work_cv = *new std::condition_variable_any;
// The background thread: kNoWorker, kCreating (one caller of transition_worker_prepare
// creates it; the others return), kStarted (set with release, read with acquire under
// patch_mutex). A plain atomic, no mutex: a fork child resets it to kNoWorker.
enum : int { kNoWorker, kCreating, kStarted };
std::atomic<int> worker_state{kNoWorker};

const char *dir_name(TransitionDir dir)
{
	return dir == TransitionDir::patching ? "patching" : "unpatching";
}

int target_of(TransitionDir dir)
{
	return dir == TransitionDir::patching ? tr::kPatched : tr::kUnpatched;
}

uint64_t now_usec()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

// The version of func a thread leaves when moving to target (the kernel's
// klp_check_stack_func): unpatching leaves func itself; patching leaves the version
// below it on its function's stack, or the original.
void add_leaving(tr::CheckSet &set, const Func &func, int target)
{
	uintptr_t lo, hi;
	arch::site_code_range(func.site, &lo, &hi);
	set.add(lo, hi, func.name);
	// Reached by a sibling jump, a thread on the entry's jump (for a patchable entry,
	// partly outside the function) is still inside the function that jumped.
	arch::site_entry_range(func.site, &lo, &hi);
	set.add(lo, hi, func.name);
	uintptr_t rets[4];
	for (size_t i = 0, n = arch::site_call_returns(func.site, rets); i < n; i++)
		set.call_returns.push_back(rets[i]); // only inside the original: see stack_check
	if (target == tr::kUnpatched) {
		// A nop's "new code" is the original function (the kernel checks old_func).
		if (func.nop)
			set.add(func.old_addr, func.old_addr + func.old_size, func.name);
		else
			set.add(func.new_addr, func.new_addr + func.new_size, func.name);
		return;
	}
	const Func *below = func_below(func);
	if (below)
		set.add(below->new_addr, below->new_addr + below->new_size, func.name);
	else
		set.add(func.old_addr, func.old_addr + func.old_size, func.name);
}

void build_checks(const Patch &patch, int target)
{
	checks = tr::CheckSet{};
	for (const auto &obj : patch.objects)
		if (obj->patched)
			for (const Func &func : obj->funcs)
				add_leaving(checks, func, target);
	uintptr_t lo, hi;
	arch::transition_code_range(&lo, &hi);
	checks.add(lo, hi, "graft's transition path");
	checks.sort();
}

void complete_transition(Patch &patch)
{
	log::printf("graft: '%s': completing %s transition", patch.name.c_str(),
		    dir_name(direction));
	for (auto &obj : patch.objects)
		for (Func &func : obj->funcs)
			func.transition = false;
	bool replacing = patch.replace && direction == TransitionDir::patching;
	if (replacing) {
		unpatch_replaced_patches(patch);
		discard_nops(patch);
	}
	for (auto &obj : patch.objects) {
		if (!obj->patched)
			continue;
		if (direction == TransitionDir::unpatching)
			unpatch_object(*obj);
		else
			retarget_object(*obj); // slots straight at the new code again
	}
	for (auto &obj : patch.objects) {
		if (!obj->loaded)
			continue;
		if (direction == TransitionDir::patching)
			run_post_patch(*obj);
		else
			run_post_unpatch(*obj);
	}
	// No thread runs the code of the patch that went (or of the replaced patches) any
	// more, and their last callbacks ran: their shadow types may go.
	if (direction == TransitionDir::unpatching)
		unregister_state_shadow_types(patch);
	if (replacing)
		unregister_replaced_shadow_types();
	if (replacing)
		for (auto &p : patches)
			p->handing_over = false; // post_patch has taken their states over
	if (patch.replace && direction == TransitionDir::unpatching)
		discard_nops(patch); // reversed: the nops left their stacks with the patch
	log::printf("graft: '%s': %s complete", patch.name.c_str(), dir_name(direction));
	tr::publish_checks(nullptr);
	in_transition = nullptr;
	last_round = tr::RoundResult{};
}

// Every thread to the target at once: a new generation whose initial state is the
// target. The selection data stay; no thread runs the old code after this.
void switch_everyone()
{
	int target = target_of(direction);
	tr::begin_update();
	tr::clear_table();
	tr::end_update(target, target);
}

void *worker_main(void *)
{
	pthread_setname_np(pthread_self(), "graft-trans");
	tr::set_internal(tr::self_tid());
	os::unblock_thread_signal();
	std::unique_lock<std::mutex> lock(patch_mutex);
	for (;;) {
		work_cv.wait(lock, [] { return in_transition != nullptr; });
		// Backoff: 1 ms doubling to 100 ms between attempts, the lock released while
		// waiting so graft status and disable (reversal) get through.
		int delay_ms = std::min(100, 1 << std::min(rounds, 7));
		work_cv.wait_for(lock, std::chrono::milliseconds(delay_ms));
		if (in_transition)
			try_complete_transition(*in_transition);
	}
	return nullptr;
}

// Under patch_mutex: wakes the background thread, never creates it. pthread_create
// takes the loader's TLS lock (_dl_allocate_tls_init), which a thread inside dlopen
// holds while the audit module's library_coming waits for patch_mutex: creating the
// thread here deadlocked (the dlopen-loop test). transition_worker_prepare creates it
// beforehand, outside the lock.
void ensure_worker()
{
	if (worker_state.load(std::memory_order_acquire) == kStarted) {
		work_cv.notify_all();
		return;
	}
	static bool told;
	if (!told)
		log::printf("graft: no transition thread: transitions complete only when graft "
			    "status or enable/disable is asked");
	told = true;
}

} // namespace

Patch *transition_patch()
{
	return in_transition;
}

std::atomic<bool> exiting;

void transition_quiesce_at_exit()
{
	// First: the loader reports every object closing during exit (la_objclose from
	// _dl_fini), and library_going must not wait for the lock kept below. Patches are
	// not reverted at exit, as the kernel does not revert them at shutdown.
	exiting.store(true, std::memory_order_relaxed);
	// Best effort within a second: exit() may come from a callback that holds the lock.
	for (int i = 0; i < 1000 && !patch_mutex.try_lock(); i++)
		usleep(1000);
	// Kept locked: the background thread and the control thread's requests wait on it
	// while the runtime's static objects are destroyed.
	work_cv.notify_all();
}

// Not under patch_mutex and not on a thread inside the loader (see ensure_worker).
void transition_worker_prepare()
{
	int expected = kNoWorker;
	if (!worker_state.compare_exchange_strong(expected, kCreating))
		return; // started, or being started by another caller
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); // the worker inherits: no app signal
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t thread;
	bool ok = pthread_create(&thread, &attr, worker_main, nullptr) == 0;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	worker_state.store(ok ? kStarted : kNoWorker, std::memory_order_release);
	if (!ok)
		log::printf("graft: cannot start the transition thread: transitions complete "
			    "only when graft status or enable/disable is asked");
}

void transition_after_fork_child()
{
	worker_state.store(kNoWorker, std::memory_order_relaxed);
}

void set_consistency_model(bool on)
{
	model_on = on;
}

void init_transition(Patch &patch, TransitionDir dir)
{
	log::printf("graft: '%s': initializing %s transition", patch.name.c_str(), dir_name(dir));
	in_transition = &patch;
	direction = dir;
	int target = target_of(dir);
	tr::begin_update(); // a new generation: every thread starts in the initial state
	tr::clear_table();
	tr::end_update(!target, target);
	for (auto &obj : patch.objects)
		for (Func &func : obj->funcs)
			func.transition = true;
}

void start_transition(Patch &patch)
{
	log::printf("graft: '%s': starting %s transition", patch.name.c_str(), dir_name(direction));
	if (direction == TransitionDir::unpatching)
		for (auto &obj : patch.objects)
			if (obj->patched)
				retarget_object(*obj); // through the selection path
	build_checks(patch, target_of(direction));
	started_usec = now_usec();
	rounds = 0;
	signaled_logged = false;
	if (!model_on)
		switch_everyone();
}

// One round of try_complete_transition.
static bool try_complete_round(Patch &patch)
{
	if (in_transition != &patch)
		return true;
	tr::Published p = tr::published();
	// As the kernel's klp_send_signals (after 15 s there): once a transition has
	// waited a second, the blocked threads that still seem to hold it get the signal,
	// to check their own stack with the unwinder.
	bool signal_sleepers = now_usec() - started_usec > kSignalSleepersUsec;
	// A fresh set for each round: the stacks of threads created since the last round
	// are mapped now. Threads switching themselves in select read it concurrently, so
	// it is never changed once published.
	auto owned = std::make_unique<tr::CheckSet>(checks);
	owned->read_maps();
	tr::CheckSet *set = owned.release();
	tr::publish_checks(set);
	last_round = tr::try_switch_all(*set, p, true, signal_sleepers);
	if (last_round.signalled_sleepers && !signaled_logged) {
		log::printf("graft: signaling remaining threads");
		signaled_logged = true;
	}
	rounds++;
	if (last_round.complete()) {
		complete_transition(patch);
		return true;
	}
	ensure_worker();
	return false;
}

bool try_complete_transition(Patch &patch)
{
	try {
		return try_complete_round(patch);
	} catch (...) {
		// Out of memory in a round (its check set, the maps it reads): the transition
		// stays as it was and the background thread tries again. Escaping, the
		// exception left a started transition that nothing retried (its enable
		// reported failed, found by Faults.AllocationFailuresDuringLoad), or ended
		// the background thread and the process.
		ensure_worker();
		return false;
	}
}

void cancel_transition(Patch &patch)
{
	log::printf("graft: '%s': canceling patching transition, going to unpatch",
		    patch.name.c_str());
	// No thread has switched (the transition never started): every one still runs the
	// previous code, so unpatching now is immediate.
	direction = TransitionDir::unpatching;
	tr::set_target(tr::kUnpatched);
	log::printf("graft: '%s': completing unpatching transition", patch.name.c_str());
	for (auto &obj : patch.objects) {
		for (Func &func : obj->funcs)
			func.transition = false;
		if (obj->patched)
			unpatch_object(*obj);
		if (obj->loaded)
			run_post_unpatch(*obj);
	}
	unregister_state_shadow_types(patch);
	if (patch.replace)
		discard_nops(patch);
	log::printf("graft: '%s': unpatching complete", patch.name.c_str());
	tr::publish_checks(nullptr);
	in_transition = nullptr;
}

void reverse_transition(Patch &patch)
{
	log::printf("graft: '%s': reversing transition from %s", patch.name.c_str(),
		    direction == TransitionDir::patching ? "patching to unpatching"
							 : "unpatching to patching");
	direction = direction == TransitionDir::patching ? TransitionDir::unpatching
							 : TransitionDir::patching;
	patch.enabled = direction == TransitionDir::patching;
	tr::set_target(target_of(direction));
	log::printf("graft: '%s': starting %s transition", patch.name.c_str(), dir_name(direction));
	build_checks(patch, target_of(direction));
	rounds = 0;
	try_complete_transition(patch);
}

void transition_objects_changed()
{
	if (in_transition)
		build_checks(*in_transition, target_of(direction));
}

Result force_transition()
{
	transition_worker_prepare(); // never under patch_mutex (core/transition.hpp)
	std::lock_guard<std::mutex> guard(patch_mutex);
	if (!in_transition)
		return Result::fail("no transition is in progress");
	log::printf("graft: forcing remaining threads to the patched state");
	in_transition->forced = true;
	switch_everyone();
	try_complete_transition(*in_transition);
	return {};
}

TransitionView transition_view()
{
	TransitionView v;
	if (!in_transition)
		return v;
	v.active = true;
	v.patch = in_transition->name;
	v.direction = dir_name(direction);
	v.threads_total = last_round.total;
	v.threads_switched = last_round.switched;
	v.elapsed_usec = now_usec() - started_usec;
	for (const auto &h : last_round.holds)
		v.holding.push_back(ThreadHold{int(h.tid), h.name, h.reason});
	return v;
}

TransitionView transition_status()
{
	std::lock_guard<std::mutex> guard(patch_mutex);
	return transition_view();
}

Result transition_force()
{
	return force_transition();
}

} // namespace graft::core
