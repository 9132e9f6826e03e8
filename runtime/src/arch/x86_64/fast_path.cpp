// SPDX-License-Identifier: MIT
// fast_path.cpp - the stamp and the per-thread verdict read by transition.S.
#include "arch/x86_64/fast_path.hpp"

#include <atomic>

#include "arch/x86_64/site_impl.hpp"

extern "C" {
// Declared in fast_path.hpp (fast_forget is inline there). __thread, not thread_local:
// an extern thread_local is reached through a check for a dynamic initialiser.
__attribute__((visibility("hidden"),
	       tls_model("initial-exec"))) __thread GraftArchFast graft_arch_fast;
// Its own cache line: read on every call in transition, written once per change.
// Multiples of 4 (the key's low bits), never 0. Stores seq_cst, paired with the plain
// loads of transition.S (x86-TSO: they are not reordered with the loads around them).
alignas(64) __attribute__((visibility("hidden"))) uint64_t graft_arch_fast_stamp = 4;
}

namespace graft::arch {

uint64_t fast_stamp()
{
	return __atomic_load_n(&graft_arch_fast_stamp, __ATOMIC_ACQUIRE);
}

void fast_remember(uint64_t stamp, int state, const FastHold &hold)
{
	GraftArchFast &f = graft_arch_fast;
	// Compiler-only fences: only this thread and its signal handlers touch it.
	__atomic_store_n(&f.key, 0, __ATOMIC_RELAXED);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	__atomic_store_n(&f.hold_slot, hold.slot, __ATOMIC_RELAXED);
	__atomic_store_n(&f.hold_word_inverted, hold.word_inverted, __ATOMIC_RELAXED);
	__atomic_store_n(&f.hold_site, hold.site, __ATOMIC_RELAXED);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	__atomic_store_n(&f.key, stamp | uint64_t(state & 1) << 1 | (hold.slot ? 1 : 0),
			 __ATOMIC_RELAXED);
}

bool fast_held(uint64_t stamp, FastHold *out)
{
	const GraftArchFast &f = graft_arch_fast;
	uint64_t key = __atomic_load_n(&f.key, __ATOMIC_RELAXED);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	out->slot = __atomic_load_n(&f.hold_slot, __ATOMIC_RELAXED);
	out->word_inverted = __atomic_load_n(&f.hold_word_inverted, __ATOMIC_RELAXED);
	out->site = __atomic_load_n(&f.hold_site, __ATOMIC_RELAXED);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	// The key again: a signal handler of this thread may have rewritten the fields.
	return (key & ~uint64_t(3)) == stamp && (key & 1) &&
	       __atomic_load_n(&f.key, __ATOMIC_RELAXED) == key;
}

uintptr_t fast_site_id(const Site *site)
{
	return reinterpret_cast<uintptr_t>(site->data);
}

} // namespace graft::arch
