// SPDX-License-Identifier: MIT
// identity.hpp - what this process is, as the opt-out rules see it (conf/optout.hpp):
// its executable, the path it was executed by, its control groups. Read in the
// runtime's constructor: nothing here allocates more than a string or can fail loudly.
#pragma once

#include <string>

namespace graft::os {

// The executable's path from /proc/self/exe as it was at the first call, without
// " (deleted)"; "" without /proc.
std::string self_exe_path();

// The path execve was given (AT_EXECFN): for a script, the script's own path.
std::string self_execfn();

// Whether it runs in secure execution (AT_SECURE: setuid, setgid, file capabilities).
bool self_secure();

// The inode of this process's pid namespace (/proc/self/ns/pid), 0 when unknown: with
// the pid, it names the process across the pid namespaces of one network namespace.
unsigned long long self_pidns_inode();

// The text of /proc/self/cgroup ("" when it cannot be read).
std::string self_cgroup();

} // namespace graft::os
