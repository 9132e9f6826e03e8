// SPDX-License-Identifier: MIT
// site.cpp - the site.hpp contract: prepare (analyse, build stubs), install/remove
// (entry jumps through text_poke), retarget (slot store), direct mode, init.
#include <sys/mman.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "arch/x86_64/site_impl.hpp"
#include "os/code.hpp"
#include "os/thread_signal.hpp"

using graft::arch::Site;

// Read by graft_arch_transition_common (transition.S) on every call through a
// transition_f: a plain 8-byte load, paired with the release store in set_select_hook.
extern "C" {
__attribute__((visibility("hidden"))) uintptr_t graft_arch_default_select(void *, Site *site)
{
	return site->original;
}
__attribute__((visibility("hidden"))) void *graft_arch_select_hook =
	reinterpret_cast<void *>(&graft_arch_default_select);
}

extern "C" void graft_arch_transition_common();
extern "C" void graft_arch_transition_common_end();

namespace graft::arch {
namespace {

using detail::Poke;

constexpr size_t kPadLen = 14; // -fpatchable-function-entry=16,14: NOPs before the entry
std::unordered_map<uintptr_t, Site *> g_sites; // by entry; patching thread only

std::string fmt(const char *f, const char *name, long v = 0)
{
	char buf[240];
	std::snprintf(buf, sizeof buf, f, name, v);
	return buf;
}

// Reads bytes that may be unmapped (before a function's entry) without faulting.
bool read_safely(uintptr_t addr, void *out, size_t n)
{
	iovec local{out, n}, remote{reinterpret_cast<void *>(addr), n};
	return ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0) == ssize_t(n);
}

// -fpatchable-function-entry=16,14, found by its pattern (documented choice: no need for
// __patchable_function_entries): 14 x 0x90 before the entry, then [endbr64] and the
// 2-byte entry NOP: 66 90 (Clang) or 90 90 (GCC).
bool detect_patchable(uintptr_t entry, size_t size, Site *s)
{
	uint8_t b[kPadLen + 6];
	if (size < 2 || !read_safely(entry - kPadLen, b, sizeof b))
		return false;
	for (size_t i = 0; i < kPadLen; ++i)
		if (b[i] != 0x90)
			return false;
	const uint8_t *e = b + kPadLen;
	bool endbr = e[0] == 0xf3 && e[1] == 0x0f && e[2] == 0x1e && e[3] == 0xfa;
	const uint8_t *n = e + (endbr ? 4 : 0);
	if (!((n[0] == 0x66 || n[0] == 0x90) && n[1] == 0x90) || (endbr && size < 6))
		return false;
	s->kind = EntryKind::patchable;
	s->patch_at = entry + (endbr ? 4 : 0);
	s->patch_len = s->range_len = 2;
	s->gcc_nops = n[0] == 0x90;
	std::memcpy(s->orig, n, 2);
	std::memcpy(s->pad_orig, b, 6);
	s->pad_jmp = entry - kPadLen;
	s->original = s->patch_at + 2;
	return true;
}

bool prepare_patchable(Site *s, std::string *why)
{
	detail::Block b;
	if (!detail::reserve_block(s->entry, &b, why) ||
	    !detail::commit_block(b, s, nullptr, 0, why))
		return false;
	s->jump[0] = 0xeb; // jmp short back to the padding
	s->jump[1] = uint8_t(int8_t(int64_t(s->pad_jmp) - int64_t(s->patch_at + 2)));
	return true;
}

bool prepare_detour(Site *s, size_t size, std::string *why)
{
	detail::Prologue p;
	if (!detail::analyse_prologue(s->entry, size, s->name.c_str(), &p, why))
		return false;
	detail::Block b;
	if (!detail::reserve_block(s->entry, &b, why))
		return false;
	uint8_t tramp[detail::kTrampolineMax];
	uintptr_t at = b.code + detail::kTrampolineOffset;
	size_t len = detail::emit_trampoline(p, s->name.c_str(), at, tramp, sizeof tramp, s->map,
					     &s->n_map, why);
	if (!len || !detail::commit_block(b, s, tramp, len, why))
		return false;
	s->kind = EntryKind::detour;
	s->patch_at = p.patch_at;
	s->patch_len = 5;
	s->range_len = p.range_len;
	std::memcpy(s->orig, reinterpret_cast<const void *>(p.patch_at), p.range_len);
	s->n_call_returns = uint8_t(detail::relocated_call_returns(p, s->call_returns, 4));
	s->original = s->trampoline;
	return true;
}

void encode_jmp32(Site *s, uintptr_t target, uint8_t out[5])
{
	int32_t rel = int32_t(int64_t(target) - int64_t(s->patch_at + 5));
	out[0] = 0xe9;
	std::memcpy(out + 1, &rel, 4);
}

bool reaches(const Site *s, uintptr_t target)
{
	int64_t d = int64_t(target) - int64_t(s->patch_at + 5);
	return d >= INT32_MIN && d <= INT32_MAX;
}

// Where the entry currently leads (installed) - a thread hitting an int3 there goes here.
uintptr_t current_dest(const Site *s)
{
	if (!s->installed)
		return s->original;
	if (s->kind == EntryKind::patchable)
		return s->pad_jmp;
	return s->direct ? s->direct : s->stub;
}

Poke make_poke(Site *s, const uint8_t *new_bytes, uintptr_t new_dest)
{
	Poke p;
	p.site = s;
	p.len = s->patch_len;
	std::memcpy(p.old_bytes, s->installed ? s->jump : s->orig, p.len);
	std::memcpy(p.new_bytes, new_bytes, p.len);
	p.trap_dest = new_dest;
	p.old_dest = current_dest(s);
	return p;
}

bool write_padding(Site *s, std::string *why)
{
	uint8_t pad[6] = {0xff, 0x25};
	int32_t disp = int32_t(int64_t(reinterpret_cast<uintptr_t>(&s->data->slot)) -
			       int64_t(s->pad_jmp + 6));
	std::memcpy(pad + 2, &disp, 4);
	if (std::memcmp(reinterpret_cast<const void *>(s->pad_jmp), pad, 6) == 0)
		return true; // left there by an earlier install (never executed unless jumped to)
	return os::code_write(s->pad_jmp, pad, 6, why);
}

bool check_batch(Site *const *sites, size_t n, bool want_installed, std::string *why)
{
	for (size_t i = 0; i < n; ++i) {
		if (!sites[i] || sites[i]->installed != want_installed) {
			*why = sites[i] ? fmt(want_installed ? "function '%s' is not patched"
							     : "function '%s' is already patched",
					      sites[i]->name.c_str())
					: "null site";
			return false;
		}
		for (size_t j = 0; j < i; ++j)
			if (sites[j] == sites[i]) {
				*why = fmt("function '%s' appears twice in one batch",
					   sites[i]->name.c_str());
				return false;
			}
	}
	return true;
}

} // namespace

Site *site_prepare(uintptr_t entry, size_t size, const char *name, std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	if (auto it = g_sites.find(entry); it != g_sites.end())
		return it->second;
	if (!arch_init(why))
		return nullptr;
	auto *s = new Site;
	s->entry = entry;
	s->name = name ? name : "?";
	os::code_refresh_maps();
	bool ok = detect_patchable(entry, size, s) ? prepare_patchable(s, why)
						   : prepare_detour(s, size, why);
	if (!ok) {
		delete s; // its block (if one was reserved) was not consumed
		return nullptr;
	}
	// Until a replacement is set, a call through the stub runs the original.
	s->data->slot.store(s->original, std::memory_order_release);
	detail::trap_register(s);
	g_sites.emplace(entry, s);
	return s;
}

EntryKind site_kind(const Site *site)
{
	return site->kind;
}
uintptr_t site_entry(const Site *site)
{
	return site->entry;
}
uintptr_t site_original(const Site *site)
{
	return site->original;
}
uintptr_t site_transition(const Site *site)
{
	return site->transition;
}

void site_code_range(const Site *site, uintptr_t *lo, uintptr_t *hi)
{
	*lo = site->stub;
	*hi = site->stub + detail::kBlockSize;
}

void site_entry_range(const Site *site, uintptr_t *lo, uintptr_t *hi)
{
	*lo = site->kind == EntryKind::patchable ? site->pad_jmp : site->entry;
	*hi = site->patch_at + site->patch_len;
}

size_t site_call_returns(const Site *site, uintptr_t out[4])
{
	for (size_t i = 0; i < site->n_call_returns; i++)
		out[i] = site->call_returns[i];
	return site->n_call_returns;
}

void transition_code_range(uintptr_t *lo, uintptr_t *hi)
{
	*lo = reinterpret_cast<uintptr_t>(&graft_arch_transition_common);
	*hi = reinterpret_cast<uintptr_t>(&graft_arch_transition_common_end);
}
bool site_installed(const Site *site)
{
	return site->installed;
}
uintptr_t site_direct(const Site *site)
{
	return site->direct;
}

// Release: a thread that fetches the new slot through jmp *[rip+slot] sees everything
// written before (the replacement's code and data, published by the core earlier).
void site_set_target(Site *site, uintptr_t target)
{
	site->data->slot.store(target, std::memory_order_release);
}
uintptr_t site_target(const Site *site)
{
	return site->data->slot.load(std::memory_order_acquire);
}

// Release, pairs with the plain load in transition.S (x86-TSO: loads are not reordered
// with older loads, so the hook sees what was written before the cookie).
void site_set_cookie(Site *site, void *cookie)
{
	site->data->cookie.store(cookie, std::memory_order_release);
}

void set_select_hook(SelectHook hook)
{
	void *h = hook ? reinterpret_cast<void *>(hook)
		       : reinterpret_cast<void *>(&graft_arch_default_select);
	__atomic_store_n(&graft_arch_select_hook, h, __ATOMIC_RELEASE); // read by transition.S
}

bool sites_install(Site *const *sites, size_t n, std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	if (n == 0)
		return true;
	if (!arch_init(why) || !check_batch(sites, n, false, why))
		return false;
	std::vector<Poke> pokes;
	for (size_t i = 0; i < n; ++i) {
		Site *s = sites[i];
		if (s->kind == EntryKind::patchable) {
			if (!write_padding(
				    s, why)) // never-executed bytes: written before any entry jump
				return false;
			Poke p = make_poke(s, s->jump, s->pad_jmp);
			p.atomic_u16 = !s->gcc_nops && (s->patch_at & 1) == 0;
			p.fixup = s->gcc_nops; // a thread may sit between the two NOPs
			pokes.push_back(p);
		} else {
			encode_jmp32(s, s->stub, s->jump);
			Poke p = make_poke(s, s->jump, s->stub);
			p.fixup = true;
			pokes.push_back(p);
		}
	}
	if (!detail::poke_batch(pokes.data(), pokes.size(), why))
		return false;
	for (size_t i = 0; i < n; ++i) {
		sites[i]->installed = true;
		sites[i]->direct = 0;
	}
	return true;
}

bool sites_remove(Site *const *sites, size_t n, std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	if (n == 0)
		return true;
	if (!arch_init(why) || !check_batch(sites, n, true, why))
		return false;
	std::vector<Poke> pokes;
	for (size_t i = 0; i < n; ++i) {
		Site *s = sites[i];
		// No thread can be inside a single jump: no fix-up. The padding jump stays (dead
		// code once the entry is restored; rewriting it could cut a thread mid-instruction).
		Poke p = make_poke(s, s->orig, s->original);
		p.atomic_u16 =
			s->kind == EntryKind::patchable && !s->gcc_nops && (s->patch_at & 1) == 0;
		pokes.push_back(p);
	}
	if (!detail::poke_batch(pokes.data(), pokes.size(), why))
		return false;
	for (size_t i = 0; i < n; ++i) {
		sites[i]->installed = false;
		sites[i]->direct = 0;
	}
	return true;
}

bool site_set_direct(Site *site, uintptr_t target, std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	if (site->kind != EntryKind::detour || !site->installed) {
		*why = fmt("function '%s': direct mode needs an installed detour site",
			   site->name.c_str());
		return false;
	}
	uintptr_t dest = target ? target : site->stub;
	if (!reaches(site, dest)) {
		*why = fmt("function '%s': the target is beyond 2 GiB of the entry",
			   site->name.c_str());
		return false;
	}
	if (dest == current_dest(site))
		return true;
	uint8_t jump[5];
	encode_jmp32(site, dest, jump);
	Poke p = make_poke(site, jump, dest); // one instruction replaced by one: no fix-up
	if (!detail::poke_batch(&p, 1, why))
		return false;
	std::memcpy(site->jump, jump, 5);
	site->direct = target;
	return true;
}

// One code-write batch for many sites: each installed detour site whose entry should
// change (target reachable, or 0 for back to the stub) gets one poke; the others are
// left alone. The same protocol as site_set_direct.
bool sites_set_direct(Site *const *sites, const uintptr_t *targets, size_t n, std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	std::vector<Poke> pokes;
	std::vector<size_t> which;
	for (size_t i = 0; i < n; ++i) {
		Site *s = sites[i];
		uintptr_t dest = targets[i] ? targets[i] : s->stub;
		if (s->kind != EntryKind::detour || !s->installed || !reaches(s, dest) ||
		    dest == current_dest(s))
			continue;
		uint8_t jump[5];
		encode_jmp32(s, dest, jump);
		pokes.push_back(make_poke(s, jump, dest)); // one instruction for one: no fix-up
		which.push_back(i);
	}
	if (pokes.empty())
		return true;
	if (!detail::poke_batch(pokes.data(), pokes.size(), why))
		return false;
	for (size_t k = 0; k < which.size(); ++k) {
		Site *s = sites[which[k]];
		std::memcpy(s->jump, pokes[k].new_bytes, 5);
		s->direct = targets[which[k]];
	}
	return true;
}

bool site_reaches(const Site *site, uintptr_t target)
{
	return site->kind == EntryKind::detour && reaches(site, target);
}

namespace {

bool init_ok = false;
std::string init_failure; // written once, under init_once

void init_once()
{
	std::string err;
	bool ok = os::membarrier_init(&err) && detail::trap_init(&err) &&
		  os::thread_signal_init(&err);
	// Probe that code can be written at all: a scratch RX page.
	void *page = ok ? ::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0)
			: MAP_FAILED;
	if (page != MAP_FAILED) {
		uint8_t ret = 0xc3;
		os::code_refresh_maps();
		ok = os::code_write(reinterpret_cast<uintptr_t>(page), &ret, 1, &err);
		::munmap(page, 4096);
	} else if (ok) {
		ok = false;
		err = "cannot map a scratch code page";
	}
	init_ok = ok;
	init_failure = ok ? "" : "cannot modify code in this process: " + err;
}

std::once_flag init_once_flag;

} // namespace

// Once, from whichever thread first needs it: the first site installed (under
// patch_mutex) or, preloaded with control on demand, the boot thread of the first command
// (core/init.cpp), which may race a library's stored patch. call_once's completion
// orders init_ok and init_failure before every caller's read of them.
bool arch_init(std::string *why)
{
	std::call_once(init_once_flag, init_once);
	if (!init_ok && why)
		*why = init_failure;
	return init_ok;
}

void set_thread_fixup_timeout_ms(int ms)
{
	detail::set_fixup_timeout_ms(ms);
}

PatchStats patch_stats()
{
	return detail::patch_stats_now();
}

} // namespace graft::arch
