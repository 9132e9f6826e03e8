// SPDX-License-Identifier: MIT
// site.hpp - x86-64 redirection of one function's entry ("site"): the contract between
// the core (which function goes where) and the code patcher (how the bytes change).
//
// Each patched function gets a stub near it (within +-2 GiB) and an 8-byte slot in a
// writable data page near it:
//
//   entry of f --jmp--> stub_f: jmp *slot_f
//                       slot_f = the top replacement     (steady state)
//                              = transition_f            (during a transition)
//   transition_f: saves the argument registers, calls the select hook with the site's
//                 cookie, restores them and jumps to what it returned.
//
// Retargeting is one atomic store to the slot; the function's code changes only when
// the site is installed (first patch) and removed (last patch gone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace graft::arch {

struct Site; // owned by the arch layer; never freed, reused when the function is patched again

enum class EntryKind {
	patchable, // -fpatchable-function-entry padding: atomic entry store, no relocation
	detour,	   // any other function: relocated prologue (trampoline) + jmp rel32
};

// Analyses the function [entry, entry + size) and prepares its stub, slot and (for a
// detour) trampoline in near memory. Writes nothing into the function. Returns the
// same Site for the same entry every time (cached). On refusal returns nullptr and sets
// *why to the reason, naming it, e.g. "function 'f' is too short to patch (3 bytes)".
// Not thread-safe: the caller serialises (graft's patch mutex).
Site *site_prepare(uintptr_t entry, size_t size, const char *name, std::string *why);

EntryKind site_kind(const Site *site);
uintptr_t site_entry(const Site *site);
// Address that runs the original function: the trampoline (detour) or entry + 2.
uintptr_t site_original(const Site *site);
// Address of transition_f for this site.
uintptr_t site_transition(const Site *site);
// Store the slot (release); readers are the stub's indirect jump.
void site_set_target(Site *site, uintptr_t target);
uintptr_t site_target(const Site *site);
bool site_installed(const Site *site);

// The cookie passed to the select hook from this site's transition_f.
void site_set_cookie(Site *site, void *cookie);
// Called by every transition_f with its site's cookie, the site, and the stack pointer
// at the function's entry (where the caller's return address is); returns where to jump.
// Runs on application threads: must be async-signal-safe and must not throw.
using SelectHook = uintptr_t (*)(void *cookie, Site *site, uintptr_t entry_sp);
void set_select_hook(SelectHook hook);

// Writes the entry jumps of every site in the batch (each site's slot must already hold
// its target): the int3 protocol with one membarrier SYNC_CORE per step for the whole
// batch, threads found inside the overwritten bytes moved to the trampoline. All or
// nothing: on failure nothing is left changed, false is returned and *why says why.
bool sites_install(Site *const *sites, size_t n, std::string *why);
// Restores the original bytes of every site in the batch, same protocol.
bool sites_remove(Site *const *sites, size_t n, std::string *why);

// One-time setup (membarrier registration, the SIGTRAP and thread-check handlers, the
// probe that code can be written). Runs once, from any thread; false and *why if code
// cannot be modified in this process at all.
bool arch_init(std::string *why);

} // namespace graft::arch

namespace graft::arch {
// Steady-state shortcut for a detour site: rewrite the entry's jmp rel32 to go straight
// to target (one jump instead of two) when target lies within +-2 GiB of the entry;
// target 0 points the entry back at the stub. A code write (int3 protocol, no thread
// can be inside a 5-byte jmp). Returns false (and leaves the stub path) when not possible.
bool site_set_direct(Site *site, uintptr_t target, std::string *why);
uintptr_t site_direct(const Site *site); // 0 when the entry jumps to the stub
// The same for many sites in one code-write batch (one int3 protocol round, however
// many sites): targets[i] for sites[i], 0 meaning back to the stub. Sites that are not
// installed detours, or whose target lies beyond rel32 reach, keep the stub path (not a
// failure). False and *why only when the code write itself failed (nothing changed).
bool sites_set_direct(Site *const *sites, const uintptr_t *targets, size_t n, std::string *why);
// Whether direct mode can lead site's entry to target (a detour site within +-2 GiB).
bool site_reaches(const Site *site, uintptr_t target);
} // namespace graft::arch

namespace graft::arch {
// How long sites_install waits for the threads it signals to move out of the bytes being
// overwritten (default 2000 ms). A thread that never answers (it blocks the signal)
// makes the install fail with every byte restored.
void set_thread_fixup_timeout_ms(int ms);
} // namespace graft::arch

namespace graft::arch {
// Counters since start (for tests and `graft status`): threads that hit one of our int3s
// and were redirected, and threads moved out of bytes being overwritten.
struct PatchStats {
	unsigned long traps_redirected = 0;
	unsigned long threads_moved = 0;
};
PatchStats patch_stats();
} // namespace graft::arch

namespace graft::arch {
// The code a thread may be executing on behalf of this site: [lo, hi) covers stub_f,
// transition_f and the trampoline (the consistency model's stack check counts a thread
// in there as inside the function).
void site_code_range(const Site *site, uintptr_t *lo, uintptr_t *hi);
// The entry's jump code: [entry, end of the entry jump) for a detour, and from the
// padding's jmp *[rip+slot] (before the symbol, in no function's range) to the end of
// the entry's jmp short for a patchable entry. A thread there has entered the function
// without choosing a version, as one in transition_f.
void site_entry_range(const Site *site, uintptr_t *lo, uintptr_t *hi);
// A detour's prologue calls that now run from the trampoline push their original
// return address, which no call instruction precedes any more (the entry's jmp
// overwrote it): the stack check is told them. Returns how many (at most 4) into out.
size_t site_call_returns(const Site *site, uintptr_t out[4]);
// The body shared by every transition_f (transition.S).
void transition_code_range(uintptr_t *lo, uintptr_t *hi);
} // namespace graft::arch
