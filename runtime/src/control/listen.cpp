// SPDX-License-Identifier: MIT
// listen.cpp - the control server's listening socket (listen.hpp).
#include "control/listen.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/checks.hpp"
#include "control/protocol.hpp"
#include "os/identity.hpp"

namespace graft::control {
namespace {

constexpr int kBacklog = 16;

// Binds and listens on addr (len bytes of it); the socket or -1 with errno set.
int bind_listen(const sockaddr_un &addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, reinterpret_cast<const sockaddr *>(&addr), len) != 0 ||
	    listen(fd, kBacklog) != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

// The socket file: mode 0600 before anyone can connect (bind creates it with the umask,
// so it is chmod-ed before listen).
bool listen_path(const std::string &dir, Listener *out, std::string *why)
{
	if (!ensure_runtime_dir(dir, geteuid(), why))
		return false;
	std::string path = socket_path(dir, getpid());
	sockaddr_un addr{};
	if (path.size() >= sizeof(addr.sun_path)) {
		*why = "control socket path '" + path + "' is too long for a Unix socket (max " +
		       std::to_string(sizeof(addr.sun_path) - 1) + " bytes): set GRAFT_RUNTIME_DIR";
		return false;
	}
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	unlink(path.c_str()); // stale: left by an earlier process with our pid
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
	    chmod(path.c_str(), 0600) != 0 || listen(fd, kBacklog) != 0) {
		*why = "cannot listen on '" + path + "': " + strerror(errno);
		if (fd >= 0)
			close(fd);
		unlink(path.c_str());
		return false;
	}
	*out = Listener{fd, path, path};
	return true;
}

bool listen_abstract(Listener *out, std::string *why)
{
	unsigned long long ns = os::self_pidns_inode();
	if (ns == 0) {
		*why = "no abstract socket either: /proc/self/ns/pid cannot be read";
		return false;
	}
	std::string name = abstract_socket_name(ns, getpid());
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path + 1, name.data(), name.size()); // sun_path[0] = 0: abstract
	int fd = bind_listen(addr, socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
	if (fd < 0) {
		// EADDRINUSE: another program took the name first. It cannot pose as this
		// process (the CLI checks SO_PEERCRED), but the process has no socket then.
		*why = "no abstract socket '@" + name + "' either: " + strerror(errno);
		return false;
	}
	*out = Listener{fd, "", "@" + name};
	return true;
}

} // namespace

bool listen_control(const std::string &dir, Listener *out, std::string *why)
{
	std::string file_why;
	if (listen_path(dir, out, &file_why))
		return true;
	std::string abstract_why;
	if (listen_abstract(out, &abstract_why)) {
		*why = file_why; // the caller logs why the file was not used
		return true;
	}
	*why = file_why + "; " + abstract_why;
	return false;
}

} // namespace graft::control
