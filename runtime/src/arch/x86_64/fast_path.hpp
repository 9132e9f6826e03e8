// SPDX-License-Identifier: MIT
// fast_path.hpp - transition_f without the select hook: a thread whose last verdict
// still holds is sent to its target by a few loads in transition.S, without saving the
// argument registers or calling the hook (issue 17: 15 ns a call in transition before).
//
// The hook's owner keeps, per thread, the verdict it last reached (fast_remember) and
// bumps the stamp after every change that could make a verdict wrong (fast_stamp_bump):
// a verdict is used only while the stamp it was taken under is current. Two kinds:
//   - unconditional: the thread's state is the transition's target (no switch to try);
//   - conditional: the thread stays in its state while a word it holds (a return
//     address) is still at its stack slot, at or above the entry's stack pointer, and,
//     when a site is named, only at that site's entry (the select hook's skips of a
//     held thread and of an entry it refused).
// The site's cookie must then point at two words, the targets for state 0 and 1, and
// the fast path checks, as the hook does, that the site still routes through its
// transition_f (its slot) before using them.
#pragma once

#include <atomic>
#include <cstdint>

#include "base/uninstrumented.hpp"

// Read by graft_arch_transition_common (transition.S) on every call through a
// transition_f, written by the thread itself (key last, so the fast path never sees a
// key with another verdict's hold fields from before; a signal handler of the thread
// that rewrites it in between is caught by the fast path's re-check of the key).
struct GraftArchFast {
	uint64_t key; // stamp | state << 1 | held; 0: none (stamps start at 4)
	uintptr_t hold_slot;
	uintptr_t hold_word_inverted;
	uintptr_t hold_site; // SiteData address, 0: any site
};
extern "C" {
// Defined in fast_path.cpp; initial-exec: one %fs-relative store in fast_forget. __thread:
// no TLS wrapper call (a thread_local declared extern may have a dynamic initialiser).
extern __attribute__((visibility("hidden"),
		      tls_model("initial-exec"))) __thread GraftArchFast graft_arch_fast;
// The stamp (fast_path.cpp): multiples of 4, never 0.
__attribute__((visibility("hidden"))) extern uint64_t graft_arch_fast_stamp;
}

namespace graft::arch {

// The current stamp (acquire). Read it before anything a verdict depends on.
uint64_t fast_stamp();
// Makes every thread's verdict stale (seq_cst). Call after the change it announces.
// Inline: a new thread calls it before ThreadSanitizer has started it
// (transition/thread_boot.cpp), where no instrumented function may run.
GRAFT_INLINE_ALWAYS void fast_stamp_bump()
{
	__atomic_fetch_add(&graft_arch_fast_stamp, 4, __ATOMIC_SEQ_CST);
}
struct Site;

// The condition of a verdict: slot 0 for none (unconditional).
struct FastHold {
	uintptr_t slot = 0;	     // the stack slot, at or above the entry's SP
	uintptr_t word_inverted = 0; // the bitwise inverse of the word it must hold
	uintptr_t site = 0;	     // fast_site_id of the only site it applies to (0: any)
};
// The calling thread's verdict under stamp: state (0 or 1) while hold holds. Safe
// against this thread's signal handlers (the fast path re-checks the key it read).
void fast_remember(uint64_t stamp, int state, const FastHold &hold);
// The calling thread's conditional verdict, when it was taken under stamp: its hold.
bool fast_held(uint64_t stamp, FastHold *out);
// What identifies site to the fast path (its data record).
uintptr_t fast_site_id(const Site *site);
// Drops the calling thread's verdict (it changed stacks or state by itself). Inline: it
// is on every tracked context switch. The compiler barrier orders it before what the
// caller does next; only this thread and its signal handlers read it.
inline void fast_forget()
{
	__atomic_store_n(&graft_arch_fast.key, 0, __ATOMIC_RELAXED);
	std::atomic_signal_fence(std::memory_order_seq_cst);
}

} // namespace graft::arch
