// SPDX-License-Identifier: MIT
// optout.hpp - the opt-outs as the CLI applies them (conf/optout.hpp, system-wide.md):
// the --all commands report an excluded process as `excluded` and leave it alone, and
// attach refuses it. The rules come from the policy file of graft's own environment
// ($GRAFT_POLICY, $GRAFT_CONFIG_DIR/graft.conf, /etc/graft/graft.conf): the
// administrator's, as the runtimes started with the same settings read it.
#pragma once

#include <sys/types.h>

#include <string>

#include "conf/optout.hpp"

namespace graft::cli {

// The rules, read once. Throws Failure when the file is malformed or unsafe (the
// runtimes then stay inert everywhere, so nothing could be patched anyway).
const conf::OptOuts &optouts();

// Why graft stays out of pid ("" when it does not); nspid and euid as /proc/PID/status
// gives them. Reads the process's executable, auxiliary vector (AT_EXECFN, AT_SECURE)
// and control groups from /proc; *secure (if given) says whether it is in secure
// execution.
std::string excluded_why(pid_t pid, pid_t nspid, uid_t euid, bool *secure = nullptr);

} // namespace graft::cli
