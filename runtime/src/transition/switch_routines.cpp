// SPDX-License-Identifier: MIT
// switch_routines.cpp - the recorded stack-switch routines (switch_routines.hpp).
#include "transition/switch_routines.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <atomic>
#include <mutex>

namespace graft::transition {
namespace {

constexpr int kRoutines = 8;
constexpr uintptr_t kUnknownSize = 256;

struct Range {
	std::atomic<uintptr_t> lo{0}, hi{0};
};
Range g_ranges[kRoutines];
// Serialises the writers; readers (signal handlers) take no lock. A slot's hi is
// stored after its lo, with release: a reader that sees hi (acquire) sees lo.
std::mutex g_note_lock;
std::atomic<int> g_count{0};

uintptr_t size_of(const void *fn)
{
	Dl_info info;
	void *extra = nullptr; // RTLD_DL_SYMENT: the ElfW(Sym) of the symbol found
	if (!dladdr1(fn, &info, &extra, RTLD_DL_SYMENT) || !extra)
		return kUnknownSize;
	const auto *sym = static_cast<const ElfW(Sym) *>(extra);
	if (info.dli_saddr != fn || sym->st_size == 0)
		return kUnknownSize;
	return uintptr_t(sym->st_size);
}

} // namespace

void note_switch_routine(const void *fn, size_t size)
{
	if (!fn)
		return;
	auto lo = reinterpret_cast<uintptr_t>(fn);
	uintptr_t hi = lo + (size ? size : size_of(fn));
	std::lock_guard<std::mutex> guard(g_note_lock);
	int n = g_count.load(std::memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (g_ranges[i].lo.load(std::memory_order_relaxed) == lo)
			return;
	if (n == kRoutines)
		return;
	g_ranges[n].lo.store(lo, std::memory_order_relaxed);
	g_ranges[n].hi.store(hi, std::memory_order_release); // pairs with the acquire below
	g_count.store(n + 1, std::memory_order_release);     // pairs with the acquire below
}

bool in_switch_routine(uintptr_t pc)
{
	int n = g_count.load(std::memory_order_acquire);
	for (int i = 0; i < n; i++) {
		uintptr_t hi = g_ranges[i].hi.load(std::memory_order_acquire);
		if (pc >= g_ranges[i].lo.load(std::memory_order_relaxed) && pc < hi)
			return true;
	}
	return false;
}

} // namespace graft::transition
