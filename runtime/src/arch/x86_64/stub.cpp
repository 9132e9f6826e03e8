// SPDX-License-Identifier: MIT
// stub.cpp - near code blocks and data records: stub_f (jmp *[rip+slot]), transition_f
// and the trampoline of each site, in chunks mapped within +-2 GiB of the functions.
//
// Chunk (64 KiB, never unmapped):  [0, 48K) RX code: 256 blocks of 192 bytes
//                                  [48K, 64K) RW data: 512 SiteData records of 32 bytes
// Block:  +0  stub_f        ff 25 <slot>              jmp *[rip+slot]
//         +8  transition_f  endbr64; lea r11,[rip+data]; jmp *[rip+lit]
//         +32 lit           &graft_arch_transition_common
//         +48 trampoline    endbr64; relocated prologue; jmp back (detour sites only)
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <vector>

#include "arch/x86_64/site_impl.hpp"
#include "os/code.hpp"
#include "os/near.hpp"

extern "C" void graft_arch_transition_common();

namespace graft::arch::detail {
namespace {

constexpr size_t kChunkSize = 64 * 1024;
constexpr size_t kCodeSize = 48 * 1024;
constexpr size_t kStubOffset = 0, kTransitionOffset = 8, kLiteralOffset = 32;
static_assert(kTrampolineOffset + kTrampolineMax <= kBlockSize);
static_assert((kChunkSize - kCodeSize) / sizeof(SiteData) >= kCodeSize / kBlockSize);

struct Chunk {
	uintptr_t base;
	size_t blocks_used;
};

// Every chunk ever mapped (patching thread only: the caller serialises).
std::vector<Chunk> g_chunks;

bool within(uintptr_t a, uintptr_t b)
{
	return (a > b ? a - b : b - a) <= os::kNearReach;
}

bool chunk_fits(const Chunk &c, uintptr_t entry)
{
	return c.blocks_used < kCodeSize / kBlockSize && within(c.base, entry) &&
	       within(c.base + kChunkSize, entry);
}

Chunk *new_chunk(uintptr_t entry, std::string *why)
{
	uintptr_t base = os::map_near(entry, kChunkSize, why);
	if (!base)
		return nullptr;
	// The data part holds only slots and cookies: RW, never executable.
	if (::mprotect(reinterpret_cast<void *>(base + kCodeSize), kChunkSize - kCodeSize,
		       PROT_READ | PROT_WRITE) != 0) {
		::munmap(reinterpret_cast<void *>(base), kChunkSize);
		if (why)
			*why = "cannot make the slot page of a stub chunk writable";
		return nullptr;
	}
	g_chunks.push_back(Chunk{base, 0});
	return &g_chunks.back();
}

void put32(uint8_t *p, int32_t v)
{
	std::memcpy(p, &v, 4);
}

// disp32 from the end of an instruction at code+insn_end to target (both in one chunk).
int32_t disp(uintptr_t code, size_t insn_end, uintptr_t target)
{
	return int32_t(int64_t(target) - int64_t(code + insn_end));
}

} // namespace

bool reserve_block(uintptr_t entry, Block *out, std::string *why)
{
	Chunk *c = nullptr;
	for (Chunk &k : g_chunks)
		if (chunk_fits(k, entry)) {
			c = &k;
			break;
		}
	if (!c && !(c = new_chunk(entry, why)))
		return false;
	out->code = c->base + c->blocks_used * kBlockSize;
	out->data = reinterpret_cast<SiteData *>(c->base + kCodeSize) + c->blocks_used;
	out->chunk = reinterpret_cast<void *>(c->base);
	return true;
}

bool commit_block(const Block &b, Site *site, const uint8_t *tramp, size_t tramp_len,
		  std::string *why)
{
	uint8_t code[kBlockSize];
	std::memset(code, 0xcc, sizeof code);
	auto slot = reinterpret_cast<uintptr_t>(&b.data->slot);
	uint8_t *s = code + kStubOffset; // jmp *[rip+slot]
	s[0] = 0xff, s[1] = 0x25;
	put32(s + 2, disp(b.code, kStubOffset + 6, slot));
	uint8_t *t = code + kTransitionOffset;
	const uint8_t endbr[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	std::memcpy(t, endbr, 4);
	t[4] = 0x4c, t[5] = 0x8d, t[6] = 0x1d; // lea r11, [rip+data]
	put32(t + 7, disp(b.code, kTransitionOffset + 11, reinterpret_cast<uintptr_t>(b.data)));
	t[11] = 0xff, t[12] = 0x25; // jmp *[rip+lit]
	put32(t + 13, disp(b.code, kTransitionOffset + 17, b.code + kLiteralOffset));
	auto common = reinterpret_cast<uintptr_t>(&graft_arch_transition_common);
	std::memcpy(code + kLiteralOffset, &common, 8);
	if (tramp_len > kTrampolineMax) {
		if (why)
			*why = "trampoline too large";
		return false;
	}
	if (tramp_len)
		std::memcpy(code + kTrampolineOffset, tramp, tramp_len);
	// Fresh, never-executed bytes: a plain code write, published later by the release
	// store of the slot / the entry poke (which is followed by sync_cores).
	if (!os::code_write(b.code, code, sizeof code, why))
		return false;
	b.data->cookie.store(nullptr, std::memory_order_relaxed);
	b.data->site = site;
	b.data->transition = b.code + kTransitionOffset;
	site->data = b.data;
	site->stub = b.code + kStubOffset;
	site->transition = b.code + kTransitionOffset;
	site->trampoline = tramp_len ? b.code + kTrampolineOffset : 0;
	for (Chunk &k : g_chunks)
		if (k.base == reinterpret_cast<uintptr_t>(b.chunk))
			++k.blocks_used;
	return true;
}

} // namespace graft::arch::detail
