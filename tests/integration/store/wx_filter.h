/* SPDX-License-Identifier: MIT */
/* wx_filter.h - the seccomp filter systemd installs for MemoryDenyWriteExecute=yes
 * (src/shared/seccomp-util.c, seccomp_memory_deny_write_execute), for the native
 * architecture: mmap with PROT_WRITE and PROT_EXEC together, mprotect and pkey_mprotect
 * with PROT_EXEC at all, and shmat with SHM_EXEC fail with EPERM. Unlike PR_SET_MDWE it
 * cannot see a mapping's current protection, so it refuses even making an already
 * executable page executable again. */
#pragma once

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define WX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define WX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif

#define WX_ARG_LO(n) offsetof(struct seccomp_data, args[n])
#define WX_DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define WX_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* 0, or -1 with errno (no such architecture here, or seccomp unavailable). */
static int install_wx_filter(void)
{
#ifdef WX_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, WX_ARCH, 1, 0),
		WX_ALLOW,
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 5),
		/* mmap: prot is argument 2 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WX_ARG_LO(2)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 0, 1),
		WX_DENY,
		WX_ALLOW,
		/* mprotect, pkey_mprotect: prot is argument 2 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WX_ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
		WX_DENY,
		WX_ALLOW,
		/* shmat: shmflg is argument 2 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_shmat, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WX_ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 0, 1),
		WX_DENY,
		WX_ALLOW,
		WX_ALLOW,
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	/* no_new_privs, as systemd sets it for a unit that is not root with all capabilities */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	errno = ENOSYS;
	return -1;
#endif
}
