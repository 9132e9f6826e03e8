// SPDX-License-Identifier: MIT
// optout.hpp - whether the runtime must stay inert in this process (system-wide.md,
// "Opt-outs"): PID 1 of its pid namespace, a graft tool, or a process graft.conf
// excludes (exclude_exe, exclude_uid, exclude_unit; conf/optout.hpp). Asked once by
// the constructor and by graft_attach_boot, before anything else starts: an excluded
// process gets no control socket, no store patch, nothing.
#pragma once

#include <string>

namespace graft::trust {

// Why the runtime stays out of this process ("" when it does not). A policy file that
// cannot be read safely, or whose exclude_* lines are malformed, counts as excluding:
// its opt-outs cannot be honoured, and graft then does not touch the process (the CLI
// reports the problem). Never throws, never prints.
std::string excluded_here();

} // namespace graft::trust
