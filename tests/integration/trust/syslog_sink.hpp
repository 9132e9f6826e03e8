// SPDX-License-Identifier: MIT
// syslog_sink.hpp - a datagram socket standing in for /dev/log in the audit tests.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace graft::test {

// A datagram socket standing in for /dev/log (GRAFT_SYSLOG_SOCKET, for the targets
// started while it exists).
class SyslogSink {
public:
	explicit SyslogSink(const std::string &path)
	    : path_(path)
	{
		fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		strcpy(addr.sun_path, path.c_str());
		bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
		setenv("GRAFT_SYSLOG_SOCKET", path.c_str(), 1);
	}
	~SyslogSink()
	{
		unsetenv("GRAFT_SYSLOG_SOCKET");
		close(fd_);
		unlink(path_.c_str());
	}
	// Every datagram received so far, in order (each was sent before its request's
	// reply, so all are here once the last command returned).
	std::vector<std::string> read()
	{
		std::vector<std::string> out;
		char buf[4096];
		for (ssize_t n; (n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT)) > 0;)
			out.emplace_back(buf, size_t(n));
		return out;
	}

private:
	std::string path_;
	int fd_ = -1;
};

} // namespace graft::test
