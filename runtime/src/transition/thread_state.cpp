// SPDX-License-Identifier: MIT
// thread_state.cpp - per-thread patch state: the seqlock'd transition generation, the
// switch table and each thread's TLS cache of its own record.
#include "transition/thread_state.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "arch/x86_64/fast_path.hpp"
#include "base/uninstrumented.hpp"

namespace graft::transition {
namespace {

// Record layout: gen << 2 | mark << 1 | state (gen is even, see g_seq).
constexpr uint64_t kMark = 2;

GRAFT_INLINE_ALWAYS uint64_t record_of(uint64_t gen, int state)
{
	return gen << 2 | uint64_t(state & 1);
}

// The seqlock: even = stable, odd = being changed; its value is the generation.
// Written by the control side, read on every patched call in a transition.
std::atomic<uint64_t> g_seq{2};
std::atomic<int> g_initial{kUnpatched};
std::atomic<int> g_target{kUnpatched};
// Bumped (seq_cst) after the transition thread writes another thread's record; a
// thread's TLS cache is valid only for the epoch it was taken in.
std::atomic<uint64_t> g_epoch{1};

// initial-exec: the runtime is preloaded (static TLS), so each is one %fs-relative
// access on the patched-call path.
__attribute__((tls_model("initial-exec"))) thread_local uint64_t tls_record = 0;
__attribute__((tls_model("initial-exec"))) thread_local uint64_t tls_epoch = 0;
__attribute__((tls_model("initial-exec"))) thread_local pid_t tls_tid = 0;

// Open addressing by tid; cleared as a whole at the start of each transition.
constexpr size_t kTableSize = 16384;
constexpr size_t kProbes = 64;
struct Entry {
	std::atomic<pid_t> tid{0};
	std::atomic<uint64_t> rec{0};
};
Entry g_table[kTableSize];

constexpr size_t kMaxInternal = 4;
std::atomic<pid_t> g_internal[kMaxInternal];

// Inline (and so are the bodies below): adopt_state runs them uninstrumented.
GRAFT_INLINE_ALWAYS Entry *find_entry(pid_t tid, bool claim)
{
	size_t h = (size_t(uint32_t(tid)) * 2654435761u) % kTableSize;
	for (size_t i = 0; i < kProbes; i++) {
		Entry &e = g_table[(h + i) % kTableSize];
		pid_t cur = e.tid.load(std::memory_order_acquire);
		if (cur == tid)
			return &e;
		if (cur != 0)
			continue;
		if (!claim)
			return nullptr;
		if (e.tid.compare_exchange_strong(cur, tid, std::memory_order_acq_rel) ||
		    cur == tid)
			return &e;
	}
	return nullptr;
}

GRAFT_INLINE_ALWAYS Published read_published()
{
	for (;;) {
		uint64_t s1 = g_seq.load(std::memory_order_acquire);
		if (s1 & 1) {
			sched_yield(); // the control side is between two stores
			continue;
		}
		Published p{s1, g_initial.load(std::memory_order_relaxed),
			    g_target.load(std::memory_order_relaxed)};
		// Pairs with the release fence in begin_update: an unchanged sequence means
		// the loads above saw one generation's values.
		std::atomic_thread_fence(std::memory_order_acquire);
		if (g_seq.load(std::memory_order_relaxed) == s1)
			return p;
	}
}

GRAFT_INLINE_ALWAYS pid_t read_self_tid()
{
	if (!tls_tid)
		tls_tid = pid_t(syscall(SYS_gettid));
	return tls_tid;
}

} // namespace

uint64_t current_gen()
{
	std::atomic_thread_fence(std::memory_order_acquire);
	return g_seq.load(std::memory_order_relaxed);
}

void begin_update()
{
	g_seq.fetch_add(1, std::memory_order_relaxed); // odd: readers wait
	// Orders the odd value before the data stores that follow (pairs with the
	// readers' acquire fence).
	std::atomic_thread_fence(std::memory_order_release);
	// Ends the fast path's verdicts (seq_cst, before the data stores): a thread that
	// still reads the old stamp re-checks it after its target load.
	arch::fast_stamp_bump();
}

void end_update(int initial, int target)
{
	g_initial.store(initial, std::memory_order_relaxed);
	g_target.store(target, std::memory_order_relaxed);
	g_seq.fetch_add(1, std::memory_order_release); // even again: publishes the data
	arch::fast_stamp_bump();
}

void set_target(int target)
{
	// Not a new generation, so not seqlock-bracketed: published() and select() read the
	// target on the patched-call path and a thread may act on the old one for a while.
	// That is safe: such a thread only switches itself to the old target at a point
	// where its stack was clean (it never runs both versions in one chain), and it is
	// then a thread not in the new target, which the rounds check and switch back like
	// any other (the transition thread reads the target after this store, under
	// patch_mutex). Relaxed: the rounds that follow read it on this thread.
	g_target.store(target, std::memory_order_relaxed);
	arch::fast_stamp_bump(); // a verdict "in the target" may be wrong now
}

pid_t self_tid()
{
	return read_self_tid();
}

namespace {

// published(), inlined into state_now (every context switch) too.
GRAFT_INLINE_ALWAYS Published published_now()
{
	return read_published();
}

// The record from the table (the TLS cache is stale).
__attribute__((noinline)) int current_state_slow(const Published &p, uint64_t epoch)
{
	for (;;) {
		Entry *e = find_entry(self_tid(), false);
		uint64_t rec = e ? e->rec.load(std::memory_order_acquire) : 0;
		if ((rec >> 2) != p.gen)
			rec = record_of(p.gen, p.initial);
		if (!(rec & kMark)) {
			tls_record = rec;
			tls_epoch = epoch;
			return int(rec & 1);
		}
		sched_yield(); // being switched: the verdict comes within microseconds
	}
}

// current_state(), inlined into state_now too.
__attribute__((always_inline)) inline int current_state_now(const Published &p)
{
	uint64_t epoch = g_epoch.load(std::memory_order_acquire);
	if ((tls_record >> 2) == p.gen && tls_epoch == epoch)
		return int(tls_record & 1);
	return current_state_slow(p, epoch);
}

} // namespace

Published published()
{
	return published_now();
}

int current_state(const Published &p)
{
	return current_state_now(p);
}

int state_now(Published *p)
{
	*p = published_now();
	return current_state_now(*p);
}

bool switch_self(const Published &p, int state)
{
	Entry *e = find_entry(self_tid(), true);
	if (!e)
		return false;
	uint64_t rec = record_of(p.gen, state);
	e->rec.store(rec, std::memory_order_release);
	tls_record = rec;
	tls_epoch = g_epoch.load(std::memory_order_acquire);
	// This thread's fast-path verdict described the state before. Only its own: a
	// global bump would also end every other thread's skip (its hold) whenever any
	// thread switches. The fast path, if this runs in a signal handler that interrupted
	// it, re-reads the verdict before it jumps and takes select.
	arch::fast_forget();
	return true;
}

void load_state(const Published &p, int state)
{
	uint64_t rec = record_of(p.gen, state);
	Entry *e = find_entry(self_tid(), true);
	if (e) {
		uint64_t cur = e->rec.load(std::memory_order_acquire);
		// A CAS that never replaces a mark: the handshake's finish_mark would
		// otherwise overwrite this store with the record it saved (pairs with the
		// seq_cst exchange in mark and the release in finish_mark).
		for (;;) {
			if (cur & kMark) {
				__builtin_ia32_pause();
				cur = e->rec.load(std::memory_order_acquire);
				continue;
			}
			if (e->rec.compare_exchange_weak(cur, rec, std::memory_order_acq_rel))
				break;
		}
	}
	// Without a table entry (table full) the thread keeps only the TLS copy; the
	// transition thread then sees it in initial and signals it, which is safe.
	tls_record = rec;
	tls_epoch = g_epoch.load(std::memory_order_acquire);
	arch::fast_forget();
}

int state_of(pid_t tid, const Published &p)
{
	Entry *e = find_entry(tid, false);
	uint64_t rec = e ? e->rec.load(std::memory_order_acquire) : 0;
	if ((rec >> 2) != p.gen || (rec & kMark))
		return p.initial;
	return int(rec & 1);
}

bool mark(pid_t tid, const Published &p, uint64_t *prev)
{
	Entry *e = find_entry(tid, true);
	if (!e)
		return false;
	*prev = e->rec.exchange(p.gen << 2 | kMark, std::memory_order_seq_cst);
	// Invalidates every TLS cache, so the marked thread reads its record (and waits)
	// on its next patched call. Pairs with the acquire load in current_state.
	g_epoch.fetch_add(1, std::memory_order_seq_cst);
	arch::fast_stamp_bump(); // the same for the fast path's verdicts
	return true;
}

void finish_mark(pid_t tid, const Published &p, int state, uint64_t prev)
{
	if (Entry *e = find_entry(tid, false))
		e->rec.store(state >= 0 ? record_of(p.gen, state) : prev,
			     std::memory_order_release);
	arch::fast_stamp_bump();
}

GRAFT_UNINSTRUMENTED void adopt_state(uint64_t gen, int state)
{
	Published now = read_published();
	// Only if the creator's transition is still the current one; otherwise the new
	// thread simply starts in the current transition's initial state.
	if (now.gen != gen || state == now.initial)
		return;
	if (Entry *e = find_entry(read_self_tid(), true))
		e->rec.store(record_of(gen, state), std::memory_order_release);
	arch::fast_stamp_bump();
}

void clear_table()
{
	for (Entry &e : g_table) {
		if (e.tid.load(std::memory_order_relaxed) == 0)
			continue;
		e.rec.store(0, std::memory_order_relaxed);
		e.tid.store(0, std::memory_order_release);
	}
}

void set_internal(pid_t tid)
{
	for (auto &slot : g_internal) {
		pid_t expected = 0;
		if (slot.compare_exchange_strong(expected, tid))
			return;
	}
}

bool is_internal(pid_t tid)
{
	for (auto &slot : g_internal)
		if (slot.load(std::memory_order_relaxed) == tid)
			return true;
	return false;
}

} // namespace graft::transition

namespace graft::transition {
void thread_state_after_fork_child()
{
	tls_tid = 0;
	tls_epoch = 0;
	clear_table();
	arch::fast_forget();
	arch::fast_stamp_bump();
	for (auto &slot : g_internal)
		slot.store(0, std::memory_order_relaxed);
}
} // namespace graft::transition
