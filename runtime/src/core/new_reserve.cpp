// SPDX-License-Identifier: MIT
// new_reserve.cpp - libgraft.so's operator new and delete (linked only into it, like
// init.cpp; the library carries its own static libstdc++): malloc, and when malloc
// fails, a small reserve of fixed-size chunks before std::bad_alloc.
//
// Why: nlohmann::json's destructor allocates (it flattens nested values into a
// std::vector) and is noexcept, so a bad_alloc there calls std::terminate and ends the
// process. With every allocation of the control threads failing, a request's JSON being
// destroyed while the load unwound did exactly that (found by the fault test
// Faults.AllocationFailuresDuringLoad). The reserve lets such small allocations
// succeed, so the request unwinds to its refusal ("... out of memory") and the process
// keeps serving; the chunks come back as soon as they are freed.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr size_t kChunkBytes = 256;
constexpr size_t kWords = 8; // 64 chunks each: 512 chunks, 128 KiB
alignas(alignof(std::max_align_t)) unsigned char reserve[kWords * 64 * kChunkBytes];
// One bit per chunk, set while it is in use. Lock-free: operator new runs on every
// thread, inside signal-blocked sections and under graft's own locks.
std::atomic<uint64_t> in_use[kWords];

void *reserve_alloc(size_t n)
{
	if (n > kChunkBytes)
		return nullptr;
	for (size_t w = 0; w < kWords; w++) {
		uint64_t bits = in_use[w].load(std::memory_order_relaxed);
		while (bits != ~uint64_t(0)) {
			int bit = __builtin_ctzll(~bits);
			if (in_use[w].compare_exchange_weak(bits, bits | (uint64_t(1) << bit),
							    std::memory_order_acquire))
				return reserve + (w * 64 + size_t(bit)) * kChunkBytes;
		}
	}
	return nullptr;
}

// True (and the chunk returned) when p came from the reserve.
bool reserve_free(void *p)
{
	auto *c = static_cast<unsigned char *>(p);
	if (c < reserve || c >= reserve + sizeof(reserve))
		return false;
	size_t chunk = size_t(c - reserve) / kChunkBytes;
	in_use[chunk / 64].fetch_and(~(uint64_t(1) << (chunk % 64)), std::memory_order_release);
	return true;
}

void *alloc_or_null(size_t n) noexcept
{
	void *p = std::malloc(n ? n : 1);
	return p ? p : reserve_alloc(n);
}

} // namespace

void *operator new(size_t n)
{
	if (void *p = alloc_or_null(n))
		return p;
	throw std::bad_alloc();
}

void *operator new[](size_t n)
{
	return operator new(n);
}

void *operator new(size_t n, const std::nothrow_t &) noexcept
{
	return alloc_or_null(n);
}

void *operator new[](size_t n, const std::nothrow_t &) noexcept
{
	return alloc_or_null(n);
}

void operator delete(void *p) noexcept
{
	if (p && !reserve_free(p))
		std::free(p);
}

void operator delete[](void *p) noexcept
{
	operator delete(p);
}

void operator delete(void *p, size_t) noexcept
{
	operator delete(p);
}

void operator delete[](void *p, size_t) noexcept
{
	operator delete(p);
}

void operator delete(void *p, const std::nothrow_t &) noexcept
{
	operator delete(p);
}

void operator delete[](void *p, const std::nothrow_t &) noexcept
{
	operator delete(p);
}
