// SPDX-License-Identifier: MIT
// admission.hpp - who may talk to the process: the kernel's own rule for who may inject
// code with ptrace (security.md). Root is served; another client only if the kernel
// would let it PTRACE_ATTACH: the process's real, effective and saved ids all equal
// the client's, Yama's ptrace_scope is 0 (or Yama is absent), the process is dumpable
// and not in secure execution. (Yama 1 would also admit an ancestor of the process;
// graft does not try to tell, and refuses.)
#pragma once

#include <string>

#include <sys/types.h>

#include "os/creds.hpp"

namespace graft::trust {

// "" when a client with these ids may control a process with these credentials, else
// the refusal, naming the reason and what would be allowed.
std::string admission_refusal(uid_t client_uid, gid_t client_gid, const os::ProcessCreds &self);

} // namespace graft::trust
