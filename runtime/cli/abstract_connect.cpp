// SPDX-License-Identifier: MIT
// abstract_connect.cpp - connect to a runtime's abstract control socket
// (abstract_connect.hpp).
#include "abstract_connect.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach_target.hpp"
#include "cli.hpp"
#include "control/protocol.hpp"

namespace graft::cli {
namespace {

std::string proc(pid_t pid, const char *what)
{
	return "/proc/" + std::to_string(pid) + "/" + what;
}

[[noreturn]] void stranded_in_netns_of(pid_t pid, int err)
{
	std::string msg = "graft: cannot return to its own network namespace after making a "
			  "socket in process " +
			  std::to_string(pid) + "'s: " + strerror(err) +
			  "; stopped (nothing was sent to any process on that socket)\n";
	ssize_t n = write(STDERR_FILENO, msg.data(), msg.size());
	(void)n;
	_exit(kExitFailed);
}

// A socket of the network namespace of process pid. Sockets keep the namespace they
// were created in, so only socket() runs inside it; this thread goes back at once.
int socket_in_netns_of(pid_t pid)
{
	struct stat mine, theirs;
	if (stat("/proc/self/ns/net", &mine) != 0 ||
	    stat(proc(pid, "ns/net").c_str(), &theirs) != 0)
		return -1;
	if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
		return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target_ns = open(proc(pid, "ns/net").c_str(), O_RDONLY | O_CLOEXEC);
	int fd = -1, err = EPERM;
	if (self_ns >= 0 && target_ns >= 0 && setns(target_ns, CLONE_NEWNET) == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		err = errno;
		// Going back to our own namespace cannot fail for a process that could leave
		// it (it holds the descriptor). Were it to, every later socket of this command
		// would be made in the target's namespace, and a thrown Failure would let an
		// --all loop go on there: stop the command, saying why.
		if (setns(self_ns, CLONE_NEWNET) != 0)
			stranded_in_netns_of(pid, errno);
	}
	if (self_ns >= 0)
		close(self_ns);
	if (target_ns >= 0)
		close(target_ns);
	errno = err;
	return fd;
}

} // namespace

int connect_abstract(pid_t pid, int timeout_sec, std::string *name)
{
	ProcStatus st;
	struct stat ns;
	if (!read_status(pid, &st) || stat(proc(pid, "ns/pid").c_str(), &ns) != 0) {
		errno = ENOENT;
		return -1;
	}
	*name = control::abstract_socket_name((unsigned long long)ns.st_ino, st.ns_pid);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path + 1, name->data(), name->size());
	*name = "@" + *name;
	int fd = socket_in_netns_of(pid);
	if (fd < 0)
		return -1;
	timeval tv{timeout_sec, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name->size() - 1);
	while (connect(fd, reinterpret_cast<sockaddr *>(&addr), len) != 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

} // namespace graft::cli
