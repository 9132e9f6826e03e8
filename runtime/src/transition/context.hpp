// SPDX-License-Identifier: MIT
// context.hpp - execution contexts (fibers, coroutines) as tasks of the consistency model.
//
// A thread runs one context at a time: its own stack (its "native" context, made a
// Context the first time it switches away) or a fiber's. The running context's patch
// state is the thread's (switch table + TLS, thread_state.hpp); a suspended context keeps
// its own state in its record. A switch stores the outgoing context's state in its
// record and loads the incoming one's into the thread, so a fiber keeps its state
// whichever thread resumes it. The transition thread checks suspended contexts' stacks
// (try_switch_contexts) as it checks blocked threads, and switches the clean ones.
//
// The interposers (fcontext.cpp, ucontext.cpp) and the public graft_context_* API
// (context_api.cpp) drive a switch as: context_switch_out(to, ...) on the outgoing stack,
// the real stack switch, then context_switch_in() first thing on the incoming stack.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "transition/stack_check.hpp"
#include "transition/thread_state.hpp"

namespace graft::transition {

enum : uint32_t { kCtxRunning = 0, kCtxSuspended = 1, kCtxScanning = 2 };

struct Context {
	// kCtxRunning on some thread, kCtxSuspended, or (CAS mode only) kCtxScanning: the
	// transition thread is reading its stack, a thread that wants to resume it waits.
	// In fence mode only threads write it (see set_context_tracking).
	std::atomic<uint32_t> st{kCtxSuspended};
	// Fence mode: 1 while the transition thread may be checking it (only it writes
	// this); a thread that has taken the context waits until it is 0 again.
	std::atomic<uint32_t> scan{0};
	std::atomic<uint64_t> rec{0};	     // patch state while suspended
	std::atomic<uintptr_t> sp{0}, pc{0}; // while suspended: where its stack starts, resume PC
	uintptr_t lo = 0, hi = 0;	     // the stack [lo, hi); hi 0: unknown
	int id = 0;			     // for graft status: "fiber N"
	bool native = false;		     // a thread's own stack
	bool linked = false;		     // in the registry (tracking was on)
	void *asan_fake = nullptr;	     // AddressSanitizer's fake stack while suspended
	// For the interposers.
	void *real = nullptr;			  // fcontext: the real fcontext_t while suspended
	void (*fn)() = nullptr;			  // the entry function given to make*context
	long args[6] = {};			  // makecontext's arguments
	void *link = nullptr;			  // makecontext: uc_link
	void *keys[2] = {};			  // ucontext_t addresses mapped to this context
	Context *prev = nullptr, *next = nullptr; // the registry (its mutex)
};

// GRAFT_TEST_FIBERS=off: contexts are not tracked (the interposers only forward), so
// the tests can show what tracking prevents. Set once, before any thread switches. The
// first call also chooses how a switch excludes the transition thread's check of the
// context it resumes: with plain stores and membarrier on the checking side (fence
// mode) where the kernel allows membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), else with
// a CAS on every switch (docs/architecture.md, "Fibers and coroutines").
void set_context_tracking(bool on);
// Tests and the benchmark: fence mode off (the CAS path) or back on where available.
// Only while no context is being switched or checked. Returns whether fence mode is on.
bool set_context_fence(bool on);
extern bool g_context_tracking;
inline bool context_tracking()
{
	return g_context_tracking;
}

// A new suspended context for the stack [lo, hi) that has not run yet: it has no frame,
// so it starts in the current transition's target state. nullptr when out of memory.
Context *context_alloc(uintptr_t lo, uintptr_t hi);
// A context outside the registry, for the API while tracking is off.
Context *context_alloc_untracked();
// Forgets a context that will never run again. Not the running one.
void context_free(Context *ctx);
// The context running on the calling thread (its native one, created on first use;
// nullptr only when out of memory).
Context *context_current();
// The running context if the thread has switched before, else nullptr. Cheap.
Context *context_running();
// The upper end of the running context's stack for a stack scan (0: not a fiber).
uintptr_t context_stack_hi();

// Before switching from the running context to `to` (suspended; it becomes the running
// one): the outgoing context is suspended at sp with resume address pc and keeps its
// state; the thread takes to's. With ends, the outgoing context is over (not saved,
// the caller frees it). Waits while the transition thread scans `to`.
void context_switch_out(Context *to, uintptr_t sp, uintptr_t pc, bool ends = false);
// First thing on the incoming stack: ends the switch. Returns the context that switched
// to this one, once (nullptr when already taken, or when it ended).
Context *context_switch_in();

// True between context_switch_out and context_switch_in on the calling thread: its
// stack is not the context its state belongs to, so its signal handler must not
// switch it. Async-signal-safe.
bool context_switching();

// Fork: the registry's lock is held around fork so the child does not inherit it held
// by a thread that does not exist there (lock order: patch_mutex, then this one).
void context_before_fork();
void context_after_fork();

// --- transition thread ------------------------------------------------------------
struct ContextHold {
	int id = 0;
	std::string reason; // "parked in FUNC", "unreliable stack"
};
struct ContextRound {
	int total = 0; // suspended contexts seen
	int switched = 0;
	std::vector<ContextHold> holds; // at most kListedHolds
	int unlisted = 0;		// held contexts beyond those
};
constexpr size_t kListedHolds = 64;
// Checks every suspended context not in p.target and switches the clean ones.
ContextRound try_switch_contexts(const CheckSet &set, const Published &p);

// Switches that move a state between a context and a thread are counted when they
// start and end; a round in which one was in flight or started cannot prove that every
// context and thread is in the target state (one may have been between the two).
// moves_begin returns a token, moves_quiet whether none happened since.
uint64_t moves_begin();
bool moves_quiet(uint64_t token);

} // namespace graft::transition
