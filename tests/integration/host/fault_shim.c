// SPDX-License-Identifier: MIT
// fault_shim.c - linked into the fault target's executable, these definitions of the
// allocator's entry points and of mmap come before the C library's for every object
// of the process (libgraft.so, ld.so's own calls after start-up, libstdc++'s operator
// new). While armed they fail on graft's control threads only, so the program itself
// keeps working, and only for calls made by libgraft.so's own code (the runtime and the
// C++ library linked into it; not ld.so's for dlopen, nor libelf's, whose failures
// glibc may answer with an abort): what is tested is how graft survives its own
// allocations failing.
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault_shim.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

enum { KIND_NONE, KIND_MALLOC, KIND_MMAP };
static atomic_int armed_kind;
static atomic_long countdown; // calls left before failures start
static atomic_long failed;
static uintptr_t graft_lo, graft_hi; // libgraft.so's mapped range, found when armed

static int find_graft(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (!strstr(info->dlpi_name, "libgraft.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type != PT_LOAD)
			continue;
		if (!graft_lo || lo < graft_lo)
			graft_lo = lo;
		if (hi > graft_hi)
			graft_hi = hi;
	}
	return 1;
}

static int on_control_thread(void)
{
	char name[16] = {0};
	prctl(PR_GET_NAME, name);
	return strncmp(name, "graft-ctl", 9) == 0;
}

static int should_fail(int kind, void *caller)
{
	if (atomic_load(&armed_kind) != kind || (uintptr_t)caller < graft_lo ||
	    (uintptr_t)caller >= graft_hi || !on_control_thread())
		return 0;
	if (atomic_fetch_sub(&countdown, 1) > 1)
		return 0;
	atomic_fetch_add(&failed, 1);
	errno = ENOMEM;
	return 1;
}

int fault_shim_arm(const char *kind, long nth)
{
	int k = !strcmp(kind, "malloc") ? KIND_MALLOC : !strcmp(kind, "mmap") ? KIND_MMAP : 0;
	if (!k || nth < 1 || (!graft_lo && !dl_iterate_phdr(find_graft, NULL)))
		return 0;
	atomic_store(&failed, 0);
	atomic_store(&countdown, nth);
	atomic_store(&armed_kind, k);
	return 1;
}

long fault_shim_disarm(void)
{
	atomic_store(&armed_kind, KIND_NONE);
	return atomic_load(&failed);
}

__attribute__((visibility("default"))) void *malloc(size_t n)
{
	return should_fail(KIND_MALLOC, __builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
	return should_fail(KIND_MALLOC, __builtin_return_address(0)) ? NULL
								     : __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n)
{
	return should_fail(KIND_MALLOC, __builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

static void *aligned(size_t align, size_t n, void *caller)
{
	return should_fail(KIND_MALLOC, caller) ? NULL : __libc_memalign(align, n);
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t n)
{
	return aligned(align, n, __builtin_return_address(0));
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t align, size_t n)
{
	return aligned(align, n, __builtin_return_address(0));
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = aligned(align, n, __builtin_return_address(0));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags,
						  int fd, off_t off)
{
	if (should_fail(KIND_MMAP, __builtin_return_address(0)))
		return MAP_FAILED;
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
