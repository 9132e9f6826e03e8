// SPDX-License-Identifier: MIT
// abstract_connect.hpp - reaching a runtime that listens on its abstract socket
// (protocol.hpp: abstract_socket_name), because it could not make a socket file.
#pragma once

#include <sys/types.h>

#include <string>

namespace graft::cli {

// A socket connected to process pid's abstract control socket, or -1 (errno set) when
// there is none or it cannot be reached. The name lives in the process's network
// namespace: when that is not graft's own, the socket is created in the process's
// namespace (setns on this thread and back: root only). connect() waits at most
// timeout_sec for a full backlog. *name gets "@graft/...".
int connect_abstract(pid_t pid, int timeout_sec, std::string *name);

} // namespace graft::cli
