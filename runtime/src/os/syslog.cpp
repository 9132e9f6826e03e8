// SPDX-License-Identifier: MIT
// syslog.cpp - a datagram to /dev/log (syslog.hpp).
#include "os/syslog.hpp"

#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace graft::os {

bool syslog_send(const char *path, int priority, const std::string &tag, const std::string &message)
{
	sockaddr_un addr{};
	if (strlen(path) >= sizeof(addr.sun_path))
		return false;
	std::string line = "<" + std::to_string(priority) + ">" + tag + "[" +
			   std::to_string(getpid()) + "]: " + message;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path);
	ssize_t n = sendto(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
			   reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
	close(fd);
	return n == ssize_t(line.size());
}

} // namespace graft::os
