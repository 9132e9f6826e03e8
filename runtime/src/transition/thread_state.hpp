// SPDX-License-Identifier: MIT
// thread_state.hpp - each thread's patch state during a transition (the kernel's
// task->patch_state), readable on the application's hot path without a lock.
//
// The switch table, keyed by tid, is the authority: a thread is in the transition's
// target state once a record of the current generation says so, and in its initial
// state otherwise, so starting a transition (a new generation) writes no thread's
// memory. Each thread caches its state in initial-exec TLS, valid while the generation
// and the table's epoch are unchanged; the transition thread bumps the epoch whenever
// it writes another thread's record (threads switched from outside while blocked in a
// system call), and threads then look their record up again.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace graft::transition {

enum : int { kUnpatched = 0, kPatched = 1 };

// The published transition: generation (a seqlock: odd while being changed), the state
// of threads without a record (initial) and the state they switch to (target).
struct Published {
	uint64_t gen;
	int initial;
	int target;
};

// Reads a consistent {gen, initial, target}. Async-signal-safe.
Published published();
// The generation now (for a seqlock re-check by a reader). Async-signal-safe.
uint64_t current_gen();
// Control side (patch_mutex held): bracket every change of selection data (and a new
// generation: every thread starts over in initial) with begin_update / end_update.
void begin_update();
void end_update(int initial, int target);
// Control side: flips the target without a new generation (a reversal): threads that
// switched keep their record and must switch again; the others are at once in target.
// Readers of published() may still see the old target for a moment (see the .cpp).
void set_target(int target);

// This thread's state in generation p. May wait while the transition thread is
// deciding about this thread (the "being switched" handshake). Async-signal-safe.
int current_state(const Published &p);
// published() then current_state() in one call (a context switch needs both).
int state_now(Published *p);
// Records this thread as switched to state (its own signal handler). False when the
// table has no room for it.
bool switch_self(const Published &p, int state);
// The calling thread's tid, cached (gettid once per thread).
pid_t self_tid();

// --- per-context state (context.cpp) ----------------------------------------------
// A suspended context keeps its state as a record of the same layout as the table's
// (gen << 2 | mark << 1 | state). Inline: they are on every context switch.
inline uint64_t record_for(const Published &p, int state)
{
	return p.gen << 2 | uint64_t(state & 1);
}
// The state a record means in generation p (p.initial for another generation).
inline int state_in(const Published &p, uint64_t rec)
{
	return (rec >> 2) == p.gen && !(rec & 2) ? int(rec & 1) : p.initial;
}
// Loads state into the calling thread's record and TLS cache (a context switch brings
// in the incoming context's state). Waits, without a system call, while the transition
// thread holds the record marked, so the handshake cannot undo the store.
void load_state(const Published &p, int state);

// --- transition-thread side -------------------------------------------------------
// The state of tid in generation p: its record, else p.initial.
int state_of(pid_t tid, const Published &p);
// Marks tid "being switched" (its patched calls wait until finish_mark) and returns its
// previous record in *prev. False when the table is full (then signal it instead).
bool mark(pid_t tid, const Published &p, uint64_t *prev);
// Ends the handshake: state >= 0 switches tid to it, -1 restores prev.
void finish_mark(pid_t tid, const Published &p, int state, uint64_t prev);
// A new thread takes its creator's state, taken in generation gen: records the calling
// thread in state if gen is still the current generation and state is not its initial
// one. Runs before ThreadSanitizer has started the thread (thread_boot.cpp), so it is
// uninstrumented and calls nothing that is (unseen by TSan: its record store and
// stamp bump; both are atomics, so no report can come of them).
void adopt_state(uint64_t gen, int state);
// Forgets every record (a new transition; call between begin_update and end_update).
void clear_table();

// Threads of graft itself (control, transition): not checked, always "switched".
void set_internal(pid_t tid);
bool is_internal(pid_t tid);

} // namespace graft::transition

namespace graft::transition {
// In a fork child: the caller is a new thread (new tid) and the only one.
void thread_state_after_fork_child();
} // namespace graft::transition
