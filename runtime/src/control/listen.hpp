// SPDX-License-Identifier: MIT
// listen.hpp - where the control server listens: the socket file <dir>/<pid>.sock, or,
// when that cannot be made, the abstract socket protocol.hpp names
// (abstract_socket_name), so a process whose runtime directory is read-only or absent
// (ProtectSystem=strict with a private /tmp, a read-only container root) stays reachable.
#pragma once

#include <cstddef>
#include <string>

namespace graft::control {

struct Listener {
	int fd = -1;
	std::string path;  // the socket file, "" for an abstract socket (nothing to unlink)
	std::string label; // how the log names it: the path, or "@graft/..."
};

// Makes the directory if needed (checks.hpp: ensure_runtime_dir), binds and listens on
// <dir>/<pid>.sock; failing that, on the abstract socket. Returns false with both
// reasons in *why when neither can be had.
bool listen_control(const std::string &dir, Listener *out, std::string *why);

} // namespace graft::control
