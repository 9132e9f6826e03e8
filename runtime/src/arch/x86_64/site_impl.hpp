// SPDX-License-Identifier: MIT
// site_impl.hpp - the Site record and the helpers shared by the arch files (not for the
// core: it sees only site.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "arch/x86_64/site.hpp"

namespace graft::arch {

namespace detail {

constexpr size_t kMaxRange = 24; // relocated bytes at most (5 + one longest insn + slack)
constexpr size_t kMaxInsns = 16;

// One instruction start in the overwritten range and its copy's offset (from the
// trampoline's start): a thread found at patch_at + from continues at trampoline + to.
struct OffsetPair {
	uint8_t from;
	uint8_t to;
};

// Per-site mutable words, in a near RW data page (never in a code page).
struct SiteData {
	std::atomic<uintptr_t>
		slot; // stub_f / padding: jmp *[rip+slot] (release store, plain fetch)
	std::atomic<void *> cookie; // transition_f passes it to the select hook
	Site *site;		    // transition_f passes it too (default hook: original)
	// This site's transition_f: the fast path (fast_path.hpp) compares the slot with it,
	// as the select hook does. Written once, before the slot can route there.
	uintptr_t transition;
};
static_assert(sizeof(SiteData) == 32);

// What decode_relocate found in the prologue of a detour site.
struct Prologue {
	uintptr_t patch_at = 0; // entry, or entry + 4 after an endbr64 kept in place
	bool endbr = false;
	uint8_t range_len = 0; // whole instructions at patch_at, >= 5 bytes
	uint8_t n_insns = 0;
	uint8_t insn_off[kMaxInsns]; // start of each instruction (from patch_at)
};

} // namespace detail

struct Site {
	EntryKind kind = EntryKind::detour;
	std::string name;
	uintptr_t entry = 0;
	uintptr_t patch_at = 0; // first byte the entry jump overwrites
	uint8_t patch_len = 0;	// 5 (jmp rel32) or 2 (jmp short)
	uint8_t range_len = 0;	// bytes a thread must not be inside: relocated range / 2
	uint8_t orig[detail::kMaxRange] = {}; // original bytes at patch_at (range_len of them)
	uint8_t jump[5] = {};	  // the installed entry jump (to the stub or direct target)
	bool gcc_nops = false;	  // patchable with two 1-byte NOPs: a thread may sit between
	uintptr_t pad_jmp = 0;	  // patchable: jmp *[rip+slot] in the padding
	uint8_t pad_orig[6] = {}; // the padding bytes it replaced
	uintptr_t stub = 0, transition = 0, trampoline = 0, original = 0;
	detail::SiteData *data = nullptr;
	uint8_t n_map = 0;
	detail::OffsetPair map[detail::kMaxInsns] = {};
	uint8_t n_call_returns = 0;	// detour: calls relocated into the trampoline
	uintptr_t call_returns[4] = {}; // their (original) return addresses
	bool installed = false;
	uintptr_t direct = 0;
	// Where a thread that hits our int3 at patch_at goes while a poke is in progress
	// (0: none). Stored (release) before the int3 is written; read by the SIGTRAP handler.
	std::atomic<uintptr_t> trap_dest{0};
};

namespace detail {

// decode_relocate.cpp
bool analyse_prologue(uintptr_t entry, size_t size, const char *name, Prologue *out,
		      std::string *why);
// Writes the trampoline for p into buf (to run at address at): an endbr64, the relocated
// instructions, then the jump back (or the push/jmp pair of a final call). Fills the
// offset map. Returns the length, or 0 and *why.
size_t emit_trampoline(const Prologue &p, const char *name, uintptr_t at, uint8_t *buf, size_t cap,
		       OffsetPair *map, uint8_t *n_map, std::string *why);

// The return addresses of the calls among p's instructions: the relocated copies push
// them (emit_call), so a thread may have one on its stack. At most cap.
size_t relocated_call_returns(const Prologue &p, uintptr_t *out, size_t cap);

// stub.cpp
// A per-site code block (stub_f, transition_f, trampoline) and data record, near entry.
struct Block {
	uintptr_t code = 0;
	SiteData *data = nullptr;
	void *chunk = nullptr;
};
constexpr size_t kTrampolineOffset = 48; // from the block's start
constexpr size_t kBlockSize = 192;	 // stub_f, transition_f, trampoline
constexpr size_t kTrampolineMax = 144;	 // bytes
// Finds room near entry (mapping a new chunk if needed) without consuming it.
bool reserve_block(uintptr_t entry, Block *out, std::string *why);
// Writes stub_f, transition_f and the trampoline bytes, fills the site's addresses and
// consumes the block. Blocks are never freed: a thread may be inside one at any time.
bool commit_block(const Block &b, Site *site, const uint8_t *tramp, size_t tramp_len,
		  std::string *why);

// text_poke.cpp
struct Poke {
	Site *site = nullptr;
	uint8_t len = 0;
	uint8_t old_bytes[8] = {};
	uint8_t new_bytes[8] = {};
	uintptr_t trap_dest = 0; // where a thread hitting the int3 goes (new bytes' meaning)
	uintptr_t old_dest = 0;	 // the same for the old bytes (rollback)
	bool atomic_u16 = false; // one aligned 2-byte store instead of the int3 protocol
	bool fixup = false;	 // threads may be inside (patch_at, patch_at + range_len)
};
bool trap_init(std::string *why);
void trap_register(Site *site); // make the SIGTRAP handler know this site
bool poke_batch(Poke *pokes, size_t n, std::string *why);
void set_fixup_timeout_ms(int ms);
PatchStats patch_stats_now();

} // namespace detail
} // namespace graft::arch
