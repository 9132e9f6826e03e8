// SPDX-License-Identifier: MIT
// rcu.hpp - the urcu-bp read side and deferred reclamation used by shadow variables,
// with the happens-before edges ThreadSanitizer cannot see through liburcu.
//
// urcu-bp registers a thread on its first read_lock, so any thread of the target (the
// runtime is preloaded into arbitrary processes) may read without setup.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define GRAFT_SHADOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GRAFT_SHADOW_TSAN 1
#endif
#endif
// The static (LGPL) API: the reader's registry entry and grace-period counter, so the
// read side below runs inline.
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE 1
#endif
#include <urcu-bp.h> // also declares urcu_bp_call_rcu (urcu/call-rcu.h)

#include <cstddef>

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

// A read-side critical section; nests. This is liburcu-bp's _urcu_bp_read_lock and
// _urcu_bp_read_unlock with the thread's reader entry looked up once: C++ reaches
// liburcu's `extern thread_local` reader through a TLS wrapper and __tls_get_addr at
// every use (six per lookup in the inline version). The counter is reached through a
// plain pointer because liburcu 0.13 places the entries, declared 128-byte aligned, at
// 32 mod 128 (UBSan would report a member access).
class ReadGuard {
public:
	ReadGuard()
	{
		struct urcu_bp_reader **self = &URCU_TLS(urcu_bp_reader); // the one TLS lookup
		if (__builtin_expect(!*self, 0))
			urcu_bp_register_thread(); // lazily, as urcu-bp's own read_lock does
		ctr_ = reinterpret_cast<unsigned long *>(*self);
		cmm_barrier();
		unsigned long tmp = *ctr_;
		if (__builtin_expect(!(tmp & URCU_BP_GP_CTR_NEST_MASK), 1)) {
			// Outermost section: snapshot the grace-period phase, then order it
			// before our reads (a compiler barrier when sys_membarrier is used:
			// the writer's membarrier pairs with it).
			store(__atomic_load_n(&urcu_bp_gp.ctr, __ATOMIC_RELAXED));
			urcu_bp_smp_mb_slave();
		} else {
			store(tmp + URCU_BP_GP_COUNT);
		}
	}
	~ReadGuard()
	{
		tsan_release();
		// Our reads complete before the count drops (pairs as above).
		urcu_bp_smp_mb_slave();
		store(*ctr_ - URCU_BP_GP_COUNT);
		cmm_barrier();
	}
	ReadGuard(const ReadGuard &) = delete;
	ReadGuard &operator=(const ReadGuard &) = delete;

private:
	// CMM_STORE_SHARED without C++20's deprecated use of a volatile assignment: a
	// single untorn store the grace-period thread may read at any time.
	void store(unsigned long v) { __atomic_store_n(ctr_, v, __ATOMIC_RELAXED); }

	unsigned long *ctr_;
};
static_assert(offsetof(struct urcu_bp_reader, ctr) == 0);

// Runs fn(head) on urcu's call_rcu thread once every reader that may still see the
// object has left its read section. Cheap for the caller: an enqueue and a wake-up.
inline void defer(rcu_head *head, void (*fn)(rcu_head *))
{
	tsan_release();
	urcu_bp_call_rcu(head, fn);
}

} // namespace graft::shadow_vars::rcu
