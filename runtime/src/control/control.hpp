// SPDX-License-Identifier: MIT
// control.hpp - the runtime's control server: a Unix socket at <dir>/<pid>.sock (or, when
// that cannot be made, an abstract socket: listen.hpp) served by one detached thread
// ("graft-ctl") that answers the `graft` CLI (protocol.hpp).
#pragma once

#include <string>

namespace graft::control {

// Creates the socket directory if needed (mode 0700; refused if it exists with another
// owner or a looser mode), binds <dir>/<pid>.sock (a stale file of that name is
// replaced), or the abstract socket when that fails, and starts the control thread
// with every signal blocked. Idempotent. Returns false with the reason in *why (also
// logged); the process runs on unaffected.
bool control_start(std::string *why);

// Attach mode, and control started on demand: the socket directory `graft` chose (the
// runtime does not read the process's environment then). Call before control_start.
void control_set_dir(const std::string &dir);

// In a fork child: the parent's control thread does not exist here and its socket is
// the parent's. Drops the inherited descriptors and, if restart, starts a server for the
// new pid (control on demand: the child waits for a command, as its parent did).
void control_after_fork_child(bool restart);

// Removes the socket file (if this process created it) and stops accepting. Runs
// automatically at exit; safe to call more than once.
void control_stop();

} // namespace graft::control
