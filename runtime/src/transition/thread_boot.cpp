// SPDX-License-Identifier: MIT
// thread_boot.cpp - the handoff from a creator to its new thread (thread_boot.hpp).
//
// Under ThreadSanitizer, TSan's pthread_create interceptor calls the next pthread_create,
// graft's (thread_create.cpp), with TSan's own start routine; the new thread therefore
// runs boot_start before TSan has set up its per-thread state, and any TSan hook there
// (an instrumented access, a function entry, an intercepted free) crashes inside TSan.
// So boot_start is uninstrumented, calls only uninstrumented code (adopt_state), and frees
// nothing: the handoff is a slot of a static pool that the new thread gives back with
// one atomic store. Without TSan this also keeps the new thread from touching malloc:
// its first free made glibc give it an arena (128 MiB reserved, a heap mapped).
#include "transition/thread_boot.hpp"

#include <sched.h>

#include <atomic>

#include "base/uninstrumented.hpp"
#include "transition/thread_state.hpp"

namespace graft::transition {
namespace {

// Atomics, all of them: the new thread's loads and its release are invisible to TSan,
// so two creators reusing a slot would otherwise look like a race on plain fields.
struct Slot {
	std::atomic<int> taken{0};
	std::atomic<StartFn> start{nullptr};
	std::atomic<void *> arg{nullptr};
	std::atomic<uint64_t> gen{0};
	std::atomic<int> state{0};
};

// Threads created during a transition and not yet started; more wait for a slot.
constexpr int kSlots = 64;
Slot g_slots[kSlots];

Slot *take_slot()
{
	for (;;) {
		for (Slot &s : g_slots) {
			int free_ = 0;
			// Acquire: pairs with the release in boot_start, so the previous new
			// thread's loads of this slot come before the stores that follow.
			if (s.taken.load(std::memory_order_relaxed) == 0 &&
			    s.taken.compare_exchange_strong(free_, 1, std::memory_order_acquire))
				return &s;
		}
		// Every slot belongs to a thread that has yet to start; starting needs nothing
		// from this thread, so a slot comes free.
		sched_yield();
	}
}

} // namespace

void *boot_prepare(StartFn start, void *arg, uint64_t gen, int state)
{
	Slot *s = take_slot();
	// Relaxed: the thread's creation orders these stores before the new thread's loads.
	s->start.store(start, std::memory_order_relaxed);
	s->arg.store(arg, std::memory_order_relaxed);
	s->gen.store(gen, std::memory_order_relaxed);
	s->state.store(state, std::memory_order_relaxed);
	return s;
}

void boot_cancel(void *handoff)
{
	static_cast<Slot *>(handoff)->taken.store(0, std::memory_order_release);
}

GRAFT_UNINSTRUMENTED void *boot_start(void *handoff)
{
	auto *s = static_cast<Slot *>(handoff);
	StartFn start = s->start.load(std::memory_order_relaxed);
	void *arg = s->arg.load(std::memory_order_relaxed);
	uint64_t gen = s->gen.load(std::memory_order_relaxed);
	int state = s->state.load(std::memory_order_relaxed);
	// Release: the loads above come before a creator reuses the slot.
	s->taken.store(0, std::memory_order_release);
	adopt_state(gen, state);
	return start(arg);
}

void boot_after_fork_child()
{
	// Only the forking thread exists here, and it is not inside pthread_create.
	for (Slot &s : g_slots)
		s.taken.store(0, std::memory_order_relaxed);
}

} // namespace graft::transition
