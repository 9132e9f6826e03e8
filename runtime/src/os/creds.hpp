// SPDX-License-Identifier: MIT
// creds.hpp - what the kernel looks at before it lets another process ptrace this one:
// its ids, whether it is dumpable, whether it runs in secure execution, and Yama's
// ptrace_scope (linux Documentation/admin-guide/LSM/Yama.rst).
#pragma once

#include <sys/types.h>

namespace graft::os {

struct ProcessCreds {
	uid_t ruid = 0, euid = 0, suid = 0;
	gid_t rgid = 0, egid = 0, sgid = 0;
	bool dumpable = true; // prctl(PR_GET_DUMPABLE) == 1 (SUID_DUMP_USER)
	bool secure = false;  // getauxval(AT_SECURE): started setuid/setgid or with caps
	int yama_scope = -1;  // /proc/sys/kernel/yama/ptrace_scope, -1 without Yama
};

// This process's credentials, as of now (dumpable can change at any time).
ProcessCreds own_creds();

// Yama's ptrace_scope from the given file (-1 when it is absent or unreadable).
int read_yama_scope(const char *path = "/proc/sys/kernel/yama/ptrace_scope");

} // namespace graft::os
