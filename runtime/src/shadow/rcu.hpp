// SPDX-License-Identifier: MIT
// rcu.hpp - the urcu-bp read side and deferred reclamation used by shadow variables,
// with the happens-before edges ThreadSanitizer cannot see through liburcu.
//
// urcu-bp registers a thread on its first read_lock, so any thread of the target (the
// runtime is preloaded into arbitrary processes) may read without setup.
//
// liburcu-bp is not linked: it is loaded with the first patch, or by the first use of a
// shadow variable (os/lazy_libs.hpp), and reached through the table in Lib. Linked, it
// and liburcu-common were two more objects for ld.so to find, map and relocate in every
// preloaded process (docs/performance.md).
#pragma once

#if defined(__SANITIZE_THREAD__)
#define GRAFT_SHADOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GRAFT_SHADOW_TSAN 1
#endif
#endif
// The static (LGPL) API's types: the reader's registry entry and the grace-period
// counter, so the read side below runs inline. Nothing here refers to a symbol of the
// library: every one is reached through Lib.
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE 1
#endif
#include <urcu-bp.h> // also declares rcu_head (urcu/call-rcu.h)

#include <atomic>
#include <cstddef>

#include "os/lazy_libs.hpp"

#ifdef GRAFT_SHADOW_TSAN
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#endif

namespace graft::shadow_vars::rcu {

#ifdef GRAFT_SHADOW_TSAN
// liburcu is not instrumented and its grace period pairs with readers through
// membarrier(), which TSan cannot see. Every read section end and every call_rcu
// releases this token, and every reclamation acquires it: the edge the grace period
// really provides (a reader's accesses happen before the free of what it read).
inline char grace_token;
inline void tsan_release()
{
	__tsan_release(&grace_token);
}
inline void tsan_acquire()
{
	__tsan_acquire(&grace_token);
}
#else
inline void tsan_release() {}
inline void tsan_acquire() {}
#endif

// liburcu-bp as loaded: what the read side and the writers use of it.
struct Lib {
	os::LazyTls reader;	 // urcu_bp_reader, the thread's registry entry
	struct urcu_bp_gp *gp;	 // urcu_bp_gp, the grace-period counter
	int *has_sys_membarrier; // urcu_bp_has_sys_membarrier
	void (*register_thread)();
	void (*call_rcu)(rcu_head *, void (*)(rcu_head *));
	void (*before_fork)();
	void (*after_fork_parent)();
	void (*after_fork_child)();
	void (*call_rcu_before_fork)();
	void (*call_rcu_after_fork_parent)();
	void (*call_rcu_after_fork_child)();
};

// Published once, complete (release), by lib_load; read with acquire.
extern std::atomic<const Lib *> lib;

// Loads liburcu-bp (once) and returns it; nullptr when it cannot be loaded, logged once.
// Call it outside graft's locks: it may dlopen.
const Lib *lib_load();

inline const Lib *lib_get()
{
	const Lib *l = lib.load(std::memory_order_acquire); // pairs with lib_load's release
	return __builtin_expect(l != nullptr, 1) ? l : lib_load();
}

// The calling thread's liburcu-bp reader entry (where urcu_bp_reader lives for it), found
// once per thread with __tls_get_addr and kept in graft's own initial-exec TLS: a read
// section then reaches it with one %fs-relative load. The address holds for the thread's
// life (liburcu-bp is never unloaded) and across fork (the child is the same thread).
extern __thread struct urcu_bp_reader **t_reader_slot __attribute__((tls_model("initial-exec")));

inline struct urcu_bp_reader **reader_slot(const Lib *l)
{
	struct urcu_bp_reader **slot = t_reader_slot;
	if (__builtin_expect(slot == nullptr, 0)) {
		slot = static_cast<struct urcu_bp_reader **>(os::tls_address(l->reader));
		t_reader_slot = slot;
	}
	return slot;
}

// urcu_bp_smp_mb_slave: a compiler barrier when the writer uses sys_membarrier (its
// membarrier is the reader's fence), a full fence otherwise.
inline void mb_slave(const Lib *l)
{
	if (__builtin_expect(*l->has_sys_membarrier != 0, 1))
		cmm_barrier();
	else
		cmm_smp_mb();
}

// A read-side critical section; nests. This is liburcu-bp's _urcu_bp_read_lock and
// _urcu_bp_read_unlock with the thread's reader entry looked up once (reader_slot). The
// counter is reached through a plain pointer because liburcu 0.13 places the entries,
// declared 128-byte aligned, at 32 mod 128 (UBSan would report a member access).
// Without liburcu-bp nothing is guarded: then nothing is ever freed either (defer).
class ReadGuard {
public:
	ReadGuard()
	    : lib_(lib_get())
	{
		if (__builtin_expect(!lib_, 0))
			return;
		struct urcu_bp_reader **self = reader_slot(lib_);
		if (__builtin_expect(!*self, 0))
			lib_->register_thread(); // lazily, as urcu-bp's own read_lock does
		ctr_ = reinterpret_cast<unsigned long *>(*self);
		cmm_barrier();
		unsigned long tmp = *ctr_;
		if (__builtin_expect(!(tmp & URCU_BP_GP_CTR_NEST_MASK), 1)) {
			// Outermost section: snapshot the grace-period phase, then order it
			// before our reads (a compiler barrier when sys_membarrier is used:
			// the writer's membarrier pairs with it).
			store(__atomic_load_n(&lib_->gp->ctr, __ATOMIC_RELAXED));
			mb_slave(lib_);
		} else {
			store(tmp + URCU_BP_GP_COUNT);
		}
	}
	~ReadGuard()
	{
		if (__builtin_expect(!lib_, 0))
			return;
		tsan_release();
		// Our reads complete before the count drops (pairs as above).
		mb_slave(lib_);
		store(*ctr_ - URCU_BP_GP_COUNT);
		cmm_barrier();
	}
	ReadGuard(const ReadGuard &) = delete;
	ReadGuard &operator=(const ReadGuard &) = delete;

private:
	// CMM_STORE_SHARED without C++20's deprecated use of a volatile assignment: a
	// single untorn store the grace-period thread may read at any time.
	void store(unsigned long v) { __atomic_store_n(ctr_, v, __ATOMIC_RELAXED); }

	const Lib *lib_;
	unsigned long *ctr_ = nullptr;
};
static_assert(offsetof(struct urcu_bp_reader, ctr) == 0);

// Runs fn(head) on urcu's call_rcu thread once every reader that may still see the
// object has left its read section. Cheap for the caller: an enqueue and a wake-up.
// Without liburcu-bp, never: readers were not guarded, so the memory is kept.
void defer(rcu_head *head, void (*fn)(rcu_head *));

} // namespace graft::shadow_vars::rcu
