// SPDX-License-Identifier: MIT
// text_poke.cpp - the kernel's text_poke_bp_batch protocol in user space: int3 at every
// site of the batch, sync cores, move threads out of the bytes to overwrite, tails, sync,
// heads, sync; and the chained SIGTRAP handler that sends a thread hitting one of our
// int3s where the new instruction leads.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ucontext.h>
#include <vector>

#include "arch/x86_64/site_impl.hpp"
#include "base/log.hpp"
#include "os/code.hpp"
#include "os/thread_signal.hpp"

namespace graft::arch::detail {
namespace {

constexpr uint8_t kInt3 = 0xcc;

// Sorted by patch_at: every site ever registered (sites are never freed). Published
// whole (seq_cst store) for the SIGTRAP handler; g_trap_readers lets the publisher wait
// out handlers that loaded the previous array before freeing it (Dekker pair with the
// handler's increment-then-load).
struct SiteIndex {
	size_t n;
	Site *sites[1];
};
std::atomic<SiteIndex *> g_index{nullptr};
std::atomic<int> g_trap_readers{0};
std::vector<Site *> g_all_sites; // patching thread only
bool g_index_stale = false;
struct sigaction g_prev_trap {};
bool g_trap_installed = false;
int g_fixup_timeout_ms = 2000;
// Statistics, incremented from signal handlers (relaxed: counters only).
std::atomic<unsigned long> g_traps_redirected{0};
std::atomic<unsigned long> g_threads_moved{0};

Site *find_site(const SiteIndex *idx, uintptr_t at)
{
	size_t lo = 0, hi = idx ? idx->n : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uintptr_t a = idx->sites[mid]->patch_at;
		if (a == at)
			return idx->sites[mid];
		if (a < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return nullptr;
}

void chain_trap(int sig, siginfo_t *si, void *uc)
{
	if (g_prev_trap.sa_flags & SA_SIGINFO) {
		if (g_prev_trap.sa_sigaction)
			g_prev_trap.sa_sigaction(sig, si, uc);
		return;
	}
	if (g_prev_trap.sa_handler == SIG_IGN && si->si_code != SI_KERNEL)
		return;
	if (g_prev_trap.sa_handler != SIG_DFL && g_prev_trap.sa_handler != SIG_IGN) {
		g_prev_trap.sa_handler(sig);
		return;
	}
	// Default action (a trap the kernel would have killed us for): restore and re-raise.
	::signal(sig, SIG_DFL);
	::raise(sig);
}

void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	auto *uc = static_cast<ucontext_t *>(ucv);
	uintptr_t pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
	if (si->si_code == SI_KERNEL) { // int3 (not int1, single-step or kill(SIGTRAP))
		g_trap_readers.fetch_add(1, std::memory_order_seq_cst);
		Site *site = find_site(g_index.load(std::memory_order_seq_cst), pc - 1);
		uintptr_t dest = 0;
		if (site) {
			uintptr_t td = site->trap_dest.load(std::memory_order_acquire);
			uint8_t now = *reinterpret_cast<volatile const uint8_t *>(pc - 1);
			// Our int3 still there: where the new instruction leads. Already replaced
			// (the poke finished after this thread trapped), or trap_dest already
			// cleared (the poke finished between the two loads): run what is there
			// now; if that is an int3 again, the thread simply traps again.
			dest = (now == kInt3 && td) ? td : pc - 1;
		}
		g_trap_readers.fetch_sub(1, std::memory_order_seq_cst);
		if (dest) {
			g_traps_redirected.fetch_add(1, std::memory_order_relaxed);
			uc->uc_mcontext.gregs[REG_RIP] = greg_t(dest);
			return;
		}
	}
	chain_trap(sig, si, ucv);
}

// Republish the index if sites were added (before their first int3).
void publish_index()
{
	if (!g_index_stale)
		return;
	std::sort(g_all_sites.begin(), g_all_sites.end(),
		  [](const Site *a, const Site *b) { return a->patch_at < b->patch_at; });
	size_t n = g_all_sites.size();
	auto *idx =
		static_cast<SiteIndex *>(::operator new(sizeof(SiteIndex) + n * sizeof(Site *)));
	idx->n = n;
	std::copy(g_all_sites.begin(), g_all_sites.end(), idx->sites);
	SiteIndex *old = g_index.exchange(idx, std::memory_order_seq_cst);
	while (g_trap_readers.load(std::memory_order_seq_cst) != 0)
		; // a handler is between its load and its decrement: a few instructions
	::operator delete(old);
	g_index_stale = false;
}

// --- moving threads out of the bytes being overwritten ----------------------------------

struct FixRange {
	uintptr_t start; // patch_at
	uintptr_t end;	 // patch_at + range_len
	const Site *site;
};
struct FixRequest {
	const FixRange *ranges; // sorted by start
	size_t n;
	std::atomic<int> stuck; // a thread inside an instruction: cannot be moved
};

const FixRange *range_of(const FixRequest *r, uintptr_t pc)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) { // last range with start < pc
		size_t mid = (lo + hi) / 2;
		if (r->ranges[mid].start < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || pc >= r->ranges[lo - 1].end)
		return nullptr;
	return &r->ranges[lo - 1];
}

// Where a thread at pc (strictly inside a range) continues: the same instruction in the
// trampoline; for a GCC patchable entry, past the second NOP.
uintptr_t moved_pc(const FixRange &fr, uintptr_t pc)
{
	const Site *s = fr.site;
	unsigned off = unsigned(pc - fr.start);
	if (s->kind == EntryKind::patchable)
		return fr.start + 2;
	for (unsigned i = 0; i < s->n_map; ++i)
		if (s->map[i].from == off)
			return s->trampoline + s->map[i].to;
	return 0;
}

// Under ThreadSanitizer (base/deferred_signals.hpp) uc is a copy from the signal's
// arrival, and a thread runs this when it leaves one of TSan's interceptors: a RIP moved
// here is never loaded. It need not be: by then the thread's PC is in TSan's runtime,
// out of every range, and the tails are written only after its answer; it can come
// back only through an entry's int3 (SIGTRAP, which TSan delivers at once with the real
// context). Only g_threads_moved may count a move that did not happen.
void fix_thread(void *arg, ucontext_t *uc)
{ // runs in the target thread's signal handler
	auto *r = static_cast<FixRequest *>(arg);
	uintptr_t pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
	if (const FixRange *fr = range_of(r, pc)) {
		if (uintptr_t to = moved_pc(*fr, pc)) {
			uc->uc_mcontext.gregs[REG_RIP] = greg_t(to);
			g_threads_moved.fetch_add(1, std::memory_order_relaxed);
		} else
			r->stuck.store(1, std::memory_order_relaxed);
	}
}

bool blocked_in_range(void *arg, pid_t, uintptr_t pc, uintptr_t)
{
	return range_of(static_cast<FixRequest *>(arg), pc) != nullptr;
}

bool fix_threads(const Poke *pokes, size_t n, std::string *why)
{
	std::vector<FixRange> ranges;
	for (size_t i = 0; i < n; ++i)
		if (pokes[i].fixup)
			ranges.push_back(FixRange{
				pokes[i].site->patch_at,
				pokes[i].site->patch_at + pokes[i].site->range_len, pokes[i].site});
	if (ranges.empty())
		return true;
	std::sort(ranges.begin(), ranges.end(),
		  [](const FixRange &a, const FixRange &b) { return a.start < b.start; });
	FixRequest req{ranges.data(), ranges.size(), {0}};
	os::ThreadRequest tr;
	tr.fn = fix_thread;
	tr.blocked_needs_signal = blocked_in_range;
	tr.arg = &req;
	tr.timeout_ms = g_fixup_timeout_ms;
	if (!os::run_on_threads(tr, why))
		return false;
	if (req.stuck.load(std::memory_order_relaxed)) {
		if (why)
			*why = "a thread was found inside an instruction of the bytes to overwrite";
		return false;
	}
	return true;
}

} // namespace

PatchStats patch_stats_now()
{
	return PatchStats{g_traps_redirected.load(std::memory_order_relaxed),
			  g_threads_moved.load(std::memory_order_relaxed)};
}

void set_fixup_timeout_ms(int ms)
{
	g_fixup_timeout_ms = ms > 0 ? ms : 2000;
}

bool trap_init(std::string *why)
{
	struct sigaction cur {};
	::sigaction(SIGTRAP, nullptr, &cur);
	if (g_trap_installed && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == trap_handler)
		return true;
	// First time, or the application replaced ours since: chain whatever is there now.
	struct sigaction sa {};
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER; // NODEFER: a nested trap is not blocked
	sigemptyset(&sa.sa_mask);
	if (::sigaction(SIGTRAP, &sa, &g_prev_trap) != 0) {
		if (why)
			*why = std::string("cannot install the SIGTRAP handler: ") +
			       std::strerror(errno);
		return false;
	}
	g_trap_installed = true;
	return true;
}

void trap_register(Site *site)
{
	g_all_sites.push_back(site);
	g_index_stale = true;
}

namespace {

bool uses_int3(const Poke &p)
{
	return !p.atomic_u16;
}

// Best effort back to the old bytes everywhere, with the same protocol (int3, sync, old
// tails, sync, old heads, sync): valid from any point of poke_batch. The writes go to
// bytes written moments ago, so they do not fail in practice; if one does, say so.
void rollback(Poke *pokes, size_t n)
{
	std::string err;
	bool ok = true;
	for (size_t i = 0; i < n; ++i) {
		Poke &p = pokes[i];
		p.site->trap_dest.store(p.old_dest, std::memory_order_release); // before the int3
		if (uses_int3(p))
			ok &= os::code_write(p.site->patch_at, &kInt3, 1, &err);
		else
			ok &= os::code_store_u16(p.site->patch_at,
						 uint16_t(p.old_bytes[0] | p.old_bytes[1] << 8),
						 &err);
	}
	os::sync_cores();
	for (size_t i = 0; i < n; ++i)
		if (uses_int3(pokes[i]) && pokes[i].len > 1)
			ok &= os::code_write(pokes[i].site->patch_at + 1, pokes[i].old_bytes + 1,
					     pokes[i].len - 1, &err);
	os::sync_cores();
	for (size_t i = 0; i < n; ++i)
		if (uses_int3(pokes[i]))
			ok &= os::code_write(pokes[i].site->patch_at, pokes[i].old_bytes, 1, &err);
	os::sync_cores();
	for (size_t i = 0; i < n; ++i)
		pokes[i].site->trap_dest.store(0, std::memory_order_release);
	if (!ok)
		log::printf("graft: cannot restore the original code after a failed patch: %s",
			    err.c_str());
}

bool fail_batch(Poke *pokes, size_t n, const std::string &err, std::string *why)
{
	rollback(pokes, n);
	if (why)
		*why = err;
	return false;
}

} // namespace

bool poke_batch(Poke *pokes, size_t n, std::string *why)
{
	std::string err;
	if (!trap_init(why))
		return false;
	os::code_refresh_maps();
	os::CodeBatch pages; // each page made writable once for the whole batch
	publish_index();
	for (size_t i = 0; i < n; ++i) // /proc/self/mem copies are not atomic: int3 protocol
		if (pokes[i].atomic_u16 &&
		    os::code_write_mode() != os::CodeWriteMode::mprotect_window)
			pokes[i].atomic_u16 = false;
	// 1. int3 at every head; the handler sends threads that hit it to trap_dest.
	for (size_t i = 0; i < n; ++i) {
		if (!uses_int3(pokes[i]))
			continue;
		pokes[i].site->trap_dest.store(pokes[i].trap_dest,
					       std::memory_order_release); // before the int3
		if (!os::code_write(pokes[i].site->patch_at, &kInt3, 1, &err))
			return fail_batch(pokes, n, err, why);
	}
	os::sync_cores();
	// 2. Nobody can enter the bytes now; move those already inside.
	if (!fix_threads(pokes, n, &err))
		return fail_batch(pokes, n, err, why);
	// 3. Tails: no thread executes them (behind an int3, nobody inside).
	for (size_t i = 0; i < n; ++i)
		if (uses_int3(pokes[i]) && pokes[i].len > 1 &&
		    !os::code_write(pokes[i].site->patch_at + 1, pokes[i].new_bytes + 1,
				    pokes[i].len - 1, &err))
			return fail_batch(pokes, n, err, why);
	os::sync_cores();
	// 4. Heads: each makes its new instruction whole in one byte (or one 2-byte store).
	for (size_t i = 0; i < n; ++i) {
		Poke &p = pokes[i];
		bool ok = uses_int3(p)
				  ? os::code_write(p.site->patch_at, p.new_bytes, 1, &err)
				  : os::code_store_u16(
					    p.site->patch_at,
					    uint16_t(p.new_bytes[0] | p.new_bytes[1] << 8), &err);
		if (!ok)
			return fail_batch(pokes, n, err, why);
	}
	os::sync_cores();
	// A thread that trapped before step 4 and runs its handler only now finds no int3
	// at pc-1 and re-executes the new instruction (see trap_handler).
	for (size_t i = 0; i < n; ++i)
		pokes[i].site->trap_dest.store(0, std::memory_order_release);
	return true;
}

} // namespace graft::arch::detail
