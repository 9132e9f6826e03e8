// SPDX-License-Identifier: MIT
// server_util.hpp - starts the real control server once per test process (on a private
// GRAFT_RUNTIME_DIR) and a minimal client for talking to it.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/control.hpp"
#include "control/protocol.hpp"
#include "test_util.hpp"

namespace graft::test {

// The runtime directory of this process's server, started on first use.
inline const std::string &server_dir()
{
	static TempDir base;
	static const std::string dir = [] {
		std::string d = base.path + "/rt";
		setenv("GRAFT_RUNTIME_DIR", d.c_str(), 1);
		std::string why;
		if (!control::control_start(&why))
			ADD_FAILURE() << "control_start: " << why;
		return d;
	}();
	return dir;
}

inline std::string base_dir()
{
	const std::string &d = server_dir();
	return d.substr(0, d.rfind('/'));
}

inline std::string server_socket()
{
	return control::socket_path(server_dir(), getpid());
}

struct Client {
	int fd = -1;
	std::string buf;

	explicit Client(const std::string &path)
	{
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sockaddr_un a{};
		a.sun_family = AF_UNIX;
		strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
		if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0) {
			close(fd);
			fd = -1;
		}
	}
	~Client()
	{
		if (fd >= 0)
			close(fd);
	}
	bool connected() const { return fd >= 0; }

	bool send(const std::string &data)
	{
		size_t done = 0;
		while (done < data.size()) {
			ssize_t n =
				::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return false;
			done += size_t(n);
		}
		return true;
	}

	// Next line (without newline); "<eof>" at end of stream, "<timeout>" after 5 s.
	std::string line()
	{
		for (;;) {
			size_t nl = buf.find('\n');
			if (nl != std::string::npos) {
				std::string l = buf.substr(0, nl);
				buf.erase(0, nl + 1);
				return l;
			}
			pollfd p{fd, POLLIN, 0};
			if (poll(&p, 1, 5000) <= 0)
				return "<timeout>";
			char chunk[4096];
			ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
			if (n <= 0)
				return "<eof>";
			buf.append(chunk, size_t(n));
		}
	}

	std::string ask(const std::string &req)
	{
		send(req + "\n");
		return line();
	}
};

} // namespace graft::test
