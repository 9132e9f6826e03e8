// SPDX-License-Identifier: MIT
// context.cpp - the context registry, the state hand-over of a context switch, and the
// transition thread's check of suspended contexts.
#include "transition/context.hpp"

#include <pthread.h>
#include <sched.h>

#include <mutex>
#include <new>

#include "os/fence.hpp"
#include "transition/select.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAFT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRAFT_ASAN 1
#endif
#ifdef GRAFT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace graft::transition {
namespace {

// Every context, for the transition thread's checks. The mutex guards the list, not
// the contexts' fields: a check holds it for the whole pass, so a context is never
// freed while it is being checked.
std::mutex g_lock;
Context *g_head;
int g_next_id = 1;

// Moves in flight (see moves_begin): started then finished. Paired seq_cst with the
// transition thread's loads; a mover increments started before any of its stores.
std::atomic<uint64_t> g_started{0}, g_finished{0};

__attribute__((tls_model("initial-exec"))) thread_local Context *tls_cur;
// The outgoing context of this thread's last switch, until the incoming side takes it.
__attribute__((tls_model("initial-exec"))) thread_local Context *tls_out;
// 1 between switch_out and switch_in (read by this thread's signal handler).
__attribute__((tls_model("initial-exec"))) thread_local volatile int tls_switching;

void link_locked(Context *c)
{
	c->linked = true;
	c->id = g_next_id++;
	c->next = g_head;
	if (g_head)
		g_head->prev = c;
	g_head = c;
}

void unlink_locked(Context *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

// Fence mode (see set_context_tracking): a switch takes its context with plain stores
// and the transition thread pays with one membarrier per batch of contexts it checks.
std::atomic<bool> g_fence{false}; // relaxed: set at start (or by tests while idle)
// Contexts flagged before one process_fence in a round (fence mode): a thread resuming
// one of them waits at most for this many checks.
constexpr int kFenceBatch = 32;

// CAS mode: takes a suspended context for running. A context being scanned is waited
// for; the scan takes microseconds. sched_yield keeps the thread "running" for /proc, so
// the blocked-thread handshake never picks it in the middle of a switch.
void acquire_cas(Context *c)
{
	for (;;) {
		uint32_t s = kCtxSuspended;
		// acquire: pairs with the release that suspended it (its record, sp) and
		// with the scanner's release of kCtxSuspended (a record it switched).
		if (c->st.compare_exchange_weak(s, kCtxRunning, std::memory_order_acquire))
			return;
		sched_yield();
	}
}

// Fence mode: the same exclusion against the transition thread's check, without a
// locked instruction. Dekker's pattern, the full fence of one side replaced by the
// other side's membarrier: this thread stores st then loads scan; the transition thread
// (check_batch_fenced) stores scan, calls process_fence, then loads st. The fence makes
// every thread of the process execute a full barrier somewhere in that window, so at
// least one side sees the other's store: the check skips a context it sees running, and
// a thread that sees the flag waits for the check to end. Two threads resuming one
// context at once is the program's bug (both would run on one stack), not excluded here.
void acquire_fenced(Context *c)
{
	// acquire: pairs with the release store that suspended it (its record, sp, pc); a
	// suspension another thread has not finished yet is waited out, as with the CAS.
	while (c->st.load(std::memory_order_acquire) != kCtxSuspended)
		sched_yield();
	c->st.store(kCtxRunning, std::memory_order_relaxed);
	// Compiler barrier only: the CPU may still let the load below pass the store above
	// (store buffer); the transition thread's process_fence pairs with it.
	std::atomic_signal_fence(std::memory_order_seq_cst);
	// acquire: pairs with the release that clears the flag after a check (the record
	// it switched). The check takes microseconds; see acquire_cas for sched_yield.
	while (c->scan.load(std::memory_order_acquire) != 0)
		sched_yield();
}

inline void acquire(Context *c)
{
	// The fall-through path: the usual mode.
	if (__builtin_expect(g_fence.load(std::memory_order_relaxed), true))
		acquire_fenced(c);
	else
		acquire_cas(c);
}

void stack_bounds_of_thread(Context *c)
{
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	void *addr = nullptr;
	size_t size = 0;
	if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
		c->lo = uintptr_t(addr);
		c->hi = uintptr_t(addr) + size;
	}
	pthread_attr_destroy(&attr);
}

// At thread exit: the thread's native context goes with it (if the thread ends on its
// own stack; one that ends on a fiber's leaves both to the program).
pthread_key_t g_exit_key;
pthread_once_t g_exit_once = PTHREAD_ONCE_INIT;

void native_exit(void *arg)
{
	auto *c = static_cast<Context *>(arg);
	if (tls_cur == c) {
		tls_cur = nullptr;
		context_free(c);
	}
}

void make_exit_key()
{
	if (pthread_key_create(&g_exit_key, native_exit) != 0)
		g_exit_key = pthread_key_t(-1);
}

void asan_start(Context *from, Context *to)
{
#ifdef GRAFT_ASAN
	__sanitizer_start_switch_fiber(from ? &from->asan_fake : nullptr,
				       reinterpret_cast<void *>(to->lo), to->hi - to->lo);
#else
	(void)from;
	(void)to;
#endif
}

void asan_finish(Context *cur)
{
#ifdef GRAFT_ASAN
	__sanitizer_finish_switch_fiber(cur ? cur->asan_fake : nullptr, nullptr, nullptr);
#else
	(void)cur;
#endif
}

std::string hold_reason(const CheckSet &set, const CheckResult &r)
{
	if (r.verdict == Verdict::unreliable || r.name < 0)
		return "unreliable stack";
	return "parked in " + set.names[size_t(r.name)];
}

} // namespace

bool g_context_tracking = true;

void set_context_tracking(bool on)
{
	g_context_tracking = on;
	static const bool fence = set_context_fence(true); // chosen once, at start
	(void)fence;
}

bool set_context_fence(bool on)
{
	bool fence = on && os::process_fence_init();
	g_fence.store(fence, std::memory_order_relaxed);
	return fence;
}

Context *context_alloc(uintptr_t lo, uintptr_t hi)
{
	auto *c = new (std::nothrow) Context;
	if (!c)
		return nullptr;
	c->lo = lo;
	c->hi = hi;
	// No frame yet: clean in this transition (a new generation makes it initial,
	// and the transition thread then finds it clean).
	Published p = published();
	c->rec.store(record_for(p, p.target), std::memory_order_relaxed);
	std::lock_guard<std::mutex> guard(g_lock);
	link_locked(c);
	return c;
}

Context *context_alloc_untracked()
{
	return new (std::nothrow) Context;
}

void context_free(Context *ctx)
{
	if (!ctx)
		return;
	if (!ctx->linked) {
		delete ctx;
		return;
	}
	{
		// No pass is checking it once we hold the lock (a pass holds it throughout).
		std::lock_guard<std::mutex> guard(g_lock);
		unlink_locked(ctx);
	}
	delete ctx;
}

Context *context_running()
{
	return tls_cur;
}

Context *context_current()
{
	if (tls_cur)
		return tls_cur;
	auto *c = new (std::nothrow) Context;
	if (!c)
		return nullptr;
	c->native = true;
	c->st.store(kCtxRunning, std::memory_order_relaxed);
	stack_bounds_of_thread(c);
	pthread_once(&g_exit_once, make_exit_key);
	if (g_exit_key != pthread_key_t(-1))
		pthread_setspecific(g_exit_key, c);
	{
		std::lock_guard<std::mutex> guard(g_lock);
		link_locked(c);
	}
	tls_cur = c;
	return c;
}

uintptr_t context_stack_hi()
{
	Context *c = tls_cur;
	return c && !c->native ? c->hi : 0;
}

bool context_switching()
{
	return tls_switching != 0;
}

// Not instrumented by ASan: it runs while ASan is told the stack is changing.
__attribute__((no_sanitize("address"))) void context_switch_out(Context *to, uintptr_t sp,
								uintptr_t pc, bool ends)
{
	Context *from = ends ? nullptr : context_current();
	// The flag first: from here this thread's signal handler leaves its record alone,
	// so the record still holds sa when the incoming state is loaded below (a switch
	// by the handler in between would otherwise stay with the incoming context).
	tls_switching = 1;
	std::atomic_signal_fence(std::memory_order_seq_cst);
	Published p;
	int sa = state_now(&p); // may wait for the handshake (sched_yield only)
	// A move that changes the thread's state hides one state for a moment (the
	// outgoing one is in neither the thread nor a suspended context): count it first,
	// so a round that overlaps it cannot complete (moves_quiet).
	bool counted = state_in(p, to->rec.load(std::memory_order_acquire)) != sa;
	if (counted)
		g_started.fetch_add(1, std::memory_order_seq_cst);
	acquire(to);
	int sb = state_in(p, to->rec.load(std::memory_order_relaxed));
	if (sb != sa && !counted) { // the scanner switched it since our first look
		counted = true;
		g_started.fetch_add(1, std::memory_order_seq_cst);
	}
	if (from)
		from->rec.store(record_for(p, sa), std::memory_order_relaxed);
	if (sb != sa)
		load_state(p, sb);
	tls_out = from;
	tls_cur = to;
	select_context_switched();
	if (from) {
		from->sp.store(sp, std::memory_order_relaxed);
		from->pc.store(pc, std::memory_order_relaxed);
		// release: its record, sp and pc before it can be scanned or resumed (pairs
		// with the acquire CAS in acquire() and in try_switch_contexts).
		from->st.store(kCtxSuspended, std::memory_order_release);
	}
	if (counted)
		g_finished.fetch_add(1, std::memory_order_seq_cst);
	asan_start(from, to);
}

__attribute__((no_sanitize("address"))) Context *context_switch_in()
{
	// Once per switch: after an ontop function took it, the resumed side calls again.
	if (!tls_switching)
		return nullptr;
	asan_finish(tls_cur);
	Context *from = tls_out;
	tls_out = nullptr;
	std::atomic_signal_fence(std::memory_order_seq_cst);
	tls_switching = 0;
	return from;
}

namespace {

// One suspended context, taken from resumers (kCtxScanning in CAS mode, its scan flag
// in fence mode): switched when its state is the target or its stack is clean.
void check_one(Context *c, const CheckSet &set, const Published &p, ContextRound &res,
	       std::vector<std::pair<int, CheckResult>> &held)
{
	res.total++;
	if (state_in(p, c->rec.load(std::memory_order_relaxed)) == p.target) {
		res.switched++;
		return;
	}
	uintptr_t sp = c->sp.load(std::memory_order_relaxed);
	// A registered context that has not started has nothing on its stack.
	CheckResult r =
		c->hi && sp >= c->hi
			? CheckResult{}
			: check_suspended(set, c->pc.load(std::memory_order_relaxed), sp, c->hi);
	if (r.verdict == Verdict::clean) {
		c->rec.store(record_for(p, p.target), std::memory_order_relaxed);
		res.switched++;
	} else if (held.size() < kListedHolds) {
		held.emplace_back(c->id, r);
	} else {
		res.unlisted++;
	}
}

// CAS mode: each context taken with a CAS that a resuming thread's CAS excludes.
void check_all_cas(const CheckSet &set, const Published &p, ContextRound &res,
		   std::vector<std::pair<int, CheckResult>> &held)
{
	for (Context *c = g_head; c; c = c->next) {
		uint32_t s = kCtxSuspended;
		// acquire: the suspending thread's record, sp and pc (its release).
		if (!c->st.compare_exchange_strong(s, kCtxScanning, std::memory_order_acquire))
			continue; // running: its thread is checked
		check_one(c, set, p, res, held);
		// release: the new record before a thread resumes it (its acquire CAS).
		c->st.store(kCtxSuspended, std::memory_order_release);
	}
}

// Fence mode: flags up to kFenceBatch contexts from c on, one process_fence, then checks
// those still suspended. Returns the context after the batch. The other half of
// acquire_fenced's Dekker pattern.
Context *check_batch_fenced(Context *c, const CheckSet &set, const Published &p, ContextRound &res,
			    std::vector<std::pair<int, CheckResult>> &held)
{
	Context *batch[kFenceBatch];
	int n = 0;
	for (; c && n < kFenceBatch; c = c->next) {
		c->scan.store(1, std::memory_order_relaxed);
		batch[n++] = c;
	}
	// Pairs with the compiler barrier in acquire_fenced: from here a thread that stored
	// kCtxRunning before it is seen below, and one that stores it later sees the flag.
	os::process_fence();
	for (int i = 0; i < n; i++) {
		Context *b = batch[i];
		// acquire: the suspending thread's record, sp and pc (its release).
		if (b->st.load(std::memory_order_acquire) == kCtxSuspended)
			check_one(b, set, p, res, held);
		// release: the record it switched before a waiting thread reads it (the
		// acquire load of the flag in acquire_fenced).
		b->scan.store(0, std::memory_order_release);
	}
	return c;
}

} // namespace

ContextRound try_switch_contexts(const CheckSet &set, const Published &p)
{
	ContextRound res;
	std::vector<std::pair<int, CheckResult>> held;
	held.reserve(kListedHolds);
	{
		std::lock_guard<std::mutex> guard(g_lock);
		bool fence = g_fence.load(std::memory_order_relaxed);
		if (!fence)
			check_all_cas(set, p, res, held);
		for (Context *c = fence ? g_head : nullptr; c;)
			c = check_batch_fenced(c, set, p, res, held);
	}
	for (const auto &h : held)
		res.holds.push_back(ContextHold{h.first, hold_reason(set, h.second)});
	return res;
}

void context_before_fork()
{
	g_lock.lock();
}

void context_after_fork()
{
	g_lock.unlock();
}

uint64_t moves_begin()
{
	uint64_t s = g_started.load(std::memory_order_seq_cst);
	uint64_t f = g_finished.load(std::memory_order_seq_cst);
	return s == f ? s : ~uint64_t(0);
}

bool moves_quiet(uint64_t token)
{
	return token != ~uint64_t(0) && g_started.load(std::memory_order_seq_cst) == token;
}

} // namespace graft::transition
