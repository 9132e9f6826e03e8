// SPDX-License-Identifier: MIT
// code.cpp - code writes (RWX window or /proc/self/mem) and membarrier SYNC_CORE.
#include "os/code.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "base/log.hpp"
#include "base/uninstrumented.hpp"
#include "os/maps.hpp"

namespace graft::os {
namespace {

// Code-write state. Only the patching thread writes code (the caller serialises through
// graft's patch mutex), so none of this is locked.
std::vector<Mapping> g_maps;
bool g_maps_valid = false;
bool g_maps_full = false; // g_maps is the whole map, not the mappings queried one by one
CodeWriteMode g_mode = CodeWriteMode::mprotect_window;
int g_mem_fd = -1;
pid_t g_mem_pid = 0; // the process g_mem_fd was opened in: a fork child must not use it
std::atomic<int> g_membarrier_state{0}; // 0 unknown, 1 registered, -1 unavailable
// Inside a CodeBatch: pages opened for writing and their protection before.
bool g_batch = false;
std::vector<std::pair<uintptr_t, int>> g_open_pages;

uintptr_t page_size()
{
	static const uintptr_t ps = uintptr_t(::sysconf(_SC_PAGESIZE));
	return ps;
}

std::string errno_text(const char *what, uintptr_t addr, int err)
{
	char buf[160];
	std::snprintf(buf, sizeof buf, "%s at %#lx failed: %s", what,
		      static_cast<unsigned long>(addr), std::strerror(err));
	return buf;
}

// The cached mapping that holds addr, or nullptr.
const Mapping *cached_mapping(uintptr_t addr)
{
	auto it = std::upper_bound(g_maps.begin(), g_maps.end(), addr,
				   [](uintptr_t a, const Mapping &m) { return a < m.start; });
	return it != g_maps.begin() && addr < std::prev(it)->end ? &*std::prev(it) : nullptr;
}

// Protection of the page holding addr. The cache holds, since the last refresh, the
// mappings asked of the kernel one by one (query_mapping: a batch touches a few pages,
// and reading all of /proc/self/maps cost ~1.3 ms with a thousand threads' stacks), or,
// where the kernel cannot answer that, the whole map (re-read once on a miss).
int page_prot(uintptr_t addr)
{
	if (!g_maps_valid) {
		g_maps.clear();
		g_maps_full = false;
		g_maps_valid = true;
	}
	if (const Mapping *m = cached_mapping(addr))
		return m->prot;
	if (!g_maps_full) {
		Mapping m;
		int found = query_mapping(addr, &m);
		if (found >= 0) {
			if (!found)
				return -1;
			auto at = std::upper_bound(
				g_maps.begin(), g_maps.end(), m.start,
				[](uintptr_t a, const Mapping &x) { return a < x.start; });
			g_maps.insert(at, m);
			return m.prot;
		}
	}
	for (int attempt = 0; attempt < 2; ++attempt) {
		g_maps_full = read_maps(&g_maps);
		if (const Mapping *m = g_maps_full ? cached_mapping(addr) : nullptr)
			return m->prot;
	}
	g_maps_valid = false;
	return -1;
}

bool open_mem(std::string *why)
{
	// /proc/self/mem opened in the parent stays the parent's memory in a fork child:
	// writing through it would patch the parent (code_after_fork_child closes it; the
	// pid check also covers a child forked with a raw clone or vfork-like path).
	if (g_mem_fd >= 0 && g_mem_pid == ::getpid())
		return true;
	if (g_mem_fd >= 0)
		::close(g_mem_fd);
	g_mem_pid = ::getpid();
	g_mem_fd = ::open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (g_mem_fd < 0 && why)
		*why = std::string("cannot open /proc/self/mem for writing: ") +
		       std::strerror(errno);
	return g_mem_fd >= 0;
}

bool write_proc_mem(uintptr_t dst, const void *src, size_t n, std::string *why)
{
	if (!open_mem(why))
		return false;
	ssize_t r;
	do
		r = ::pwrite(g_mem_fd, src, n, off_t(dst));
	while (r < 0 && errno == EINTR);
	if (r == ssize_t(n))
		return true;
	if (why)
		*why = errno_text("write to /proc/self/mem", dst, r < 0 ? errno : EIO);
	return false;
}

// Runs store() with [dst, dst+n) writable and still executable. If the kernel refuses
// RWX, switches this process to /proc/self/mem for good and returns false with errno
// EACCES/EPERM in *refused so the caller retries there.
// Makes the pages [lo, hi) writable (still executable), or finds them already open in
// the current batch. old is their protection before.
bool open_pages(uintptr_t lo, uintptr_t hi, int old, int *refused)
{
	if (g_batch) {
		bool all_open = true;
		for (uintptr_t pg = lo; pg < hi && all_open; pg += page_size())
			all_open = std::any_of(g_open_pages.begin(), g_open_pages.end(),
					       [pg](const auto &o) { return o.first == pg; });
		if (all_open)
			return true;
	}
	if (::mprotect(reinterpret_cast<void *>(lo), hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		*refused = errno;
		return false;
	}
	if (g_batch)
		for (uintptr_t pg = lo; pg < hi; pg += page_size())
			g_open_pages.emplace_back(pg, old);
	return true;
}

// Runs store() with [dst, dst+n) writable and still executable. If the kernel refuses
// RWX, switches this process to /proc/self/mem for good and returns false with errno
// EACCES/EPERM in *refused so the caller retries there.
template <class Store>
bool with_rwx_window(uintptr_t dst, size_t n, Store store, int *refused, int *restore_failed)
{
	uintptr_t lo = dst & ~(page_size() - 1);
	uintptr_t hi = (dst + n + page_size() - 1) & ~(page_size() - 1);
	int old_lo = page_prot(lo), old_hi = page_prot(hi - 1);
	if (old_lo < 0 || old_hi < 0 || !(old_lo & PROT_EXEC) || old_lo != old_hi) {
		*refused = EFAULT; // not one executable mapping: never make data executable
		return false;
	}
	if (!open_pages(lo, hi, old_lo, refused))
		return false;
	store();
	if (g_batch)
		return true; // restored when the batch ends
	// The page was executable throughout; back to exactly what it was. A failure (never
	// seen: a narrowing change) is reported: the bytes are written but the page stays
	// writable, which the caller must not call success.
	if (::mprotect(reinterpret_cast<void *>(lo), hi - lo, old_lo)) {
		*restore_failed = errno;
		return false;
	}
	return true;
}

// The write happened but the page could not get its protection back: logged (the
// page stays writable) and reported as a failure.
bool restore_error(uintptr_t dst, int err, std::string *why)
{
	std::string text = errno_text("restoring the protection after a code write", dst, err) +
			   ": the page stays writable";
	log::printf("graft: %s", text.c_str());
	if (why)
		*why = text;
	return false;
}

} // namespace

void code_after_fork_child()
{
	if (g_mem_fd >= 0)
		::close(g_mem_fd);
	g_mem_fd = -1;
	g_mem_pid = 0;
	g_maps_valid = false;
}

bool membarrier_init(std::string *why)
{
	int state = g_membarrier_state.load(std::memory_order_acquire);
	if (state == 0) {
		long r = ::syscall(__NR_membarrier,
				   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
		state = r == 0 ? 1 : -1;
		g_membarrier_state.store(state, std::memory_order_release);
	}
	if (state < 0 && why)
		*why = "membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) is not "
		       "available "
		       "(Linux >= 4.16 needed): cores cannot be serialised after a code write";
	return state > 0;
}

void sync_cores()
{
	if (g_membarrier_state.load(std::memory_order_acquire) > 0)
		::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
	else
		std::atomic_thread_fence(
			std::memory_order_seq_cst); // membarrier_init refused before
}

void code_refresh_maps()
{
	g_maps_valid = false;
}

CodeBatch::CodeBatch()
{
	g_batch = true;
	g_open_pages.clear();
}

CodeBatch::~CodeBatch()
{
	// page_prot() reports the protection cached before the batch, not RWX: restore it.
	// A destructor cannot refuse: a failure is logged (the bytes are written; the page
	// stays writable and executable).
	for (const auto &[page, prot] : g_open_pages)
		if (::mprotect(reinterpret_cast<void *>(page), page_size(), prot))
			log::printf("graft: cannot restore the protection of code page %#lx after "
				    "patching (mprotect: %s): it stays writable",
				    static_cast<unsigned long>(page), std::strerror(errno));
	g_open_pages.clear();
	g_batch = false;
}

CodeWriteMode code_write_mode()
{
	return g_mode;
}
void code_set_write_mode(CodeWriteMode mode)
{
	g_mode = mode;
}

bool code_write(uintptr_t dst, const void *src, size_t n, std::string *why)
{
	if (n == 0)
		return true;
	if (g_mode == CodeWriteMode::mprotect_window) {
		int refused = 0, restore_failed = 0;
		auto store = [&] { std::memcpy(reinterpret_cast<void *>(dst), src, n); };
		if (with_rwx_window(dst, n, store, &refused, &restore_failed))
			return true;
		if (restore_failed)
			return restore_error(dst, restore_failed, why);
		if (refused == EFAULT) {
			if (why)
				*why = errno_text(
					"code write (address is not in an executable mapping)", dst,
					EFAULT);
			return false;
		}
		// RWX refused (SELinux execmod, MDWE): never fall back to RW without X.
		g_mode = CodeWriteMode::proc_mem;
	}
	if (write_proc_mem(dst, src, n, why))
		return true;
	if (why)
		*why += " (mprotect to RWX was refused too: code cannot be modified in this "
			"process)";
	return false;
}

namespace {
// Uninstrumented: ThreadSanitizer maps the shadow of every read-only executable mapping
// present at its start (the program's and its libraries' text) read-only, assuming
// nothing writes there, so its hook on this store faulted inside TSan and killed the
// process (the patchable-entry sibling tests). The store's only readers are
// instruction fetch and the int3 handler; TSan has nothing to order there
// (tests/tsan.supp, code_write). code_write's memcpy is not affected: TSan's range
// hook returns at such a read-only shadow.
GRAFT_UNINSTRUMENTED void store_code_u16(uintptr_t dst, uint16_t value)
{
	// Release: the never-executed bytes written before (the padding jump) are visible
	// before the entry jump that leads to them; sync_cores() follows for fetch.
	__atomic_store_n(reinterpret_cast<uint16_t *>(dst), value, __ATOMIC_RELEASE);
}
} // namespace

bool code_store_u16(uintptr_t dst, uint16_t value, std::string *why)
{
	if (g_mode != CodeWriteMode::mprotect_window || (dst & 1)) {
		if (why)
			*why = "atomic 2-byte code store needs the mprotect window and an aligned "
			       "address";
		return false;
	}
	int refused = 0, restore_failed = 0;
	auto store = [&] { store_code_u16(dst, value); };
	if (with_rwx_window(dst, 2, store, &refused, &restore_failed))
		return true;
	if (restore_failed)
		return restore_error(dst, restore_failed, why);
	if (refused != EFAULT)
		g_mode = CodeWriteMode::proc_mem;
	if (why)
		*why = errno_text("mprotect(RWX) for an atomic code store", dst, refused);
	return false;
}

} // namespace graft::os
