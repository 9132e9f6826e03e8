// SPDX-License-Identifier: MIT
// select.cpp - the select hook called by every transition_f.
#include "transition/select.hpp"

#include <atomic>
#include <map>

#include <sched.h>

#include "arch/x86_64/fast_path.hpp"
#include "arch/x86_64/site.hpp"
#include "os/threads.hpp"
#include "transition/context.hpp"
#include "transition/entry_call.hpp"
#include "transition/stack_check.hpp"
#include "transition/thread_state.hpp"

namespace graft::transition {
namespace {

struct FuncSel {
	std::atomic<uintptr_t> target[2]; // [kUnpatched], [kPatched]
};

// One FuncSel per site, never freed (a thread may be reading one at any time, as sites
// are never freed). Guarded by patch_mutex.
std::map<arch::Site *, FuncSel *> sels;

// The check set threads use to switch themselves at a function's entry. A thread
// counts itself in g_set_users while it reads the set; publish_checks frees a replaced
// set only once the count drops to zero (a Dekker pair: both sides seq_cst).
std::atomic<CheckSet *> g_set{nullptr};
std::atomic<long> g_set_users{0};

// After a try that found an affected return address at stack slot S, the thread skips
// its next tries while S is still at or above its entry SP, still holds that word and
// the fast path's stamp is the same (publish_checks bumps it with each new check set):
// the scan would stop at S (or below it) again, so a skip never delays a switch the
// scan would allow. It keeps a held thread from scanning its stack on every call of a
// function in transition (measured: ~150 ns a call instead of ~15), and it ends as soon
// as the frame that held it returns. The hold is kept as the thread's fast-path verdict
// (arch/x86_64/fast_path.hpp), which transition.S then applies without calling select;
// the word is stored inverted there: glibc keeps static TLS at the top of a thread's
// stack mapping, which the scan reads, and a return address kept there would hold the
// thread forever. (Its own TLS copy would push the runtime's static TLS past what
// `graft attach` may take, AttachTls.TheRuntimesStaticTlsFitsTheLateReserve.)
std::atomic<uint64_t> g_set_serial{1}; // bumped by publish_checks after each exchange

// The three readers below read a word of the stack wherever the scan stopped, which
// AddressSanitizer may count as another frame's redzone: not instrumented.
#define GRAFT_READS_ANY_STACK_WORD __attribute__((no_sanitize("address")))

GRAFT_READS_ANY_STACK_WORD bool skip_try(uint64_t stamp, uintptr_t entry_sp)
{
	// The slot is on this thread's own stack (a context switch forgets the verdict).
	arch::FastHold h;
	return arch::fast_held(stamp, &h) && h.site == 0 && h.slot >= entry_sp &&
	       ~*reinterpret_cast<const uintptr_t *>(h.slot) == h.word_inverted;
}

GRAFT_READS_ANY_STACK_WORD void remember_hold(const CheckResult &r, uint64_t stamp, int state)
{
	arch::fast_remember(stamp, state, {r.at, ~*reinterpret_cast<const uintptr_t *>(r.at), 0});
}

// The last entry the rule refused, so a loop that calls through a pointer (or jumps by a
// sibling call) does not decode the same call again on every entry: refusing is always
// safe, so a stale record only costs a try.
__attribute__((tls_model("initial-exec"))) thread_local uint64_t refused_serial;
__attribute__((tls_model("initial-exec"))) thread_local uintptr_t refused_fn;
__attribute__((tls_model("initial-exec"))) thread_local uintptr_t refused_ret_inverted;

GRAFT_READS_ANY_STACK_WORD bool refused_before(uintptr_t entry_sp, uintptr_t fn)
{
	return refused_fn == fn && refused_serial == g_set_serial.load(std::memory_order_relaxed) &&
	       ~*reinterpret_cast<const uintptr_t *>(entry_sp) == refused_ret_inverted;
}

// May a thread that entered fn with its return address at entry_sp switch here? See
// docs/architecture.md, "Switch points".
bool entry_allows_switch(const CheckSet &set, uintptr_t entry_sp, uintptr_t fn)
{
	switch (entry_switch()) {
	case EntrySwitch::any:
		return true;
	case EntrySwitch::never:
		return false;
	case EntrySwitch::call:
		break;
	}
	// On an alternate signal stack the scan would not see the interrupted frames (on
	// the thread's own stack): a handler is no switch point. One system call per try.
	if (arrived_by_call(set, entry_sp, fn) && !os::on_alternate_signal_stack())
		return true;
	refused_fn = fn;
	refused_serial = g_set_serial.load(std::memory_order_relaxed);
	refused_ret_inverted = ~*reinterpret_cast<const uintptr_t *>(entry_sp);
	return false;
}

// A thread that has not switched, entering a function in transition by a call to it, is
// in the state it had at that call instruction, in its caller: if none of the affected
// functions is on its stack (scanned from the caller's return address up), it switches
// itself now and runs neither version before the new one.
// Why a thread stayed in its state without a scan (for remember_verdict).
enum class Stay { none, held, refused };

int try_switch_here(const Published &p, uint64_t stamp, int state, uintptr_t entry_sp, uintptr_t fn,
		    Stay *why)
{
	if (skip_try(stamp, entry_sp)) {
		*why = Stay::held;
		return state;
	}
	if (refused_before(entry_sp, fn)) {
		*why = Stay::refused;
		return state;
	}
	g_set_users.fetch_add(1, std::memory_order_seq_cst);
	const CheckSet *set = g_set.load(std::memory_order_seq_cst);
	// On a fiber the scan ends at its stack's top, not at the end of its mapping
	// (a heap block's stack would otherwise read the rest of the heap).
	CheckResult r{Verdict::unreliable, -1};
	if (set && entry_allows_switch(*set, entry_sp, fn))
		r = check_stack_to(*set, 0, entry_sp, context_stack_hi());
	if (r.verdict == Verdict::clean && switch_self(p, p.target))
		state = p.target;
	g_set_users.fetch_sub(1, std::memory_order_release);
	if (r.verdict == Verdict::on_stack)
		remember_hold(r, stamp, state);
	return state;
}

// Leaves the verdict of this call for transition_f's fast path (arch/x86_64/
// fast_path.hpp), valid while stamp (read before anything the verdict depends on) is
// current: a thread in the target state goes to its target until something changes; a
// held thread skips while its hold word is in place, as skip_try does (its hold already
// is the verdict, written by remember_hold); a refused entry
// is refused again at the same site while the return address it refused is in place
// at or above the entry's SP (refusing is always safe). Every change that could make a
// verdict wrong bumps the stamp: a new generation or target (thread_state.cpp), a
// thread's switch or handshake, a new check set (publish_checks, which also ends the
// skips and refusals here); a thread that changes stacks or state by itself forgets
// its verdict.
void remember_verdict(uint64_t stamp, const Published &p, int state, Stay why, uintptr_t entry_sp,
		      arch::Site *site)
{
	// A refusal replaces a hold only when skip_try failed: that hold was over.
	if (state == p.target)
		arch::fast_remember(stamp, state, {});
	else if (why == Stay::refused)
		arch::fast_remember(stamp, state,
				    {entry_sp, refused_ret_inverted, arch::fast_site_id(site)});
}

// Runs on application threads at the entry of a function in transition, with the
// argument registers saved by transition_f. Async-signal-safe; never throws.
uintptr_t select(void *cookie, arch::Site *site, uintptr_t entry_sp)
{
	auto *sel = static_cast<FuncSel *>(cookie);
	for (;;) {
		uint64_t stamp = arch::fast_stamp();
		Published p = published();
		// A thread can reach here long after it took the selection path (preempted on
		// the way): if the site no longer routes through it, its targets may be stale
		// (a completed transition, a replaced patch since unloaded), so go where the
		// slot says now. Acquire pairs with the release in site_set_target, after
		// set_selection: a slot that still routes here comes with current targets.
		uintptr_t slot = arch::site_target(site);
		if (slot != arch::site_transition(site))
			return slot;
		int state = current_state(p);
		Stay why = Stay::none;
		if (state != p.target)
			state = try_switch_here(p, stamp, state, entry_sp, arch::site_entry(site),
						&why);
		uintptr_t to = sel->target[state].load(std::memory_order_relaxed);
		// The seqlock re-check: a new transition may have rewritten the targets
		// since p was read (pairs with the release in end_update).
		if (current_gen() == p.gen) {
			remember_verdict(stamp, p, state, why, entry_sp, site);
			return to;
		}
	}
}

} // namespace

void select_init()
{
	arch::set_select_hook(select);
}

void publish_checks(CheckSet *set)
{
	CheckSet *old = g_set.exchange(set, std::memory_order_seq_cst);
	// Ends every thread's skips (see skip_try; a thread that reads the old serial a
	// little longer only skips a try).
	g_set_serial.fetch_add(1, std::memory_order_relaxed);
	arch::fast_stamp_bump(); // the held verdicts end with the serial
	while (g_set_users.load(std::memory_order_seq_cst) != 0)
		sched_yield(); // a thread is between its load and its release: a stack scan
	delete old;
}

void set_selection(arch::Site *site, uintptr_t patched, uintptr_t unpatched, int initial,
		   int target)
{
	FuncSel *&sel = sels[site];
	if (!sel) {
		sel = new FuncSel;
		arch::site_set_cookie(site, sel);
	}
	begin_update();
	sel->target[kPatched].store(patched, std::memory_order_relaxed);
	sel->target[kUnpatched].store(unpatched, std::memory_order_relaxed);
	end_update(initial, target);
}

} // namespace graft::transition
