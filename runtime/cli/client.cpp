// SPDX-License-Identifier: MIT
// client.cpp - the CLI's side of the control protocol: connect to <dir>/<pid>.sock,
// send one request line, read one reply line, within a deadline, and turn every
// failure into a message that names the cause.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "abstract_connect.hpp"
#include "attach.hpp"
#include "control/protocol.hpp"

namespace graft::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket on every path out of request_at().
struct Fd {
	int fd = -1;
	~Fd()
	{
		if (fd >= 0)
			close(fd);
	}
};

std::string pid_str(pid_t pid)
{
	return std::to_string(pid);
}

Failure no_runtime(pid_t pid, const std::string &detail)
{
	return Failure{kExitFailed,
		       "process " + pid_str(pid) + " does not have the graft runtime" + detail +
			       ": load it with 'graft attach " + pid_str(pid) +
			       "' (or pass --attach), or start the program with 'graft "
			       "run' or LD_PRELOAD=" +
			       libgraft_path()};
}

// Whether /proc/PID/maps shows libgraft.so; false when it cannot be read.
bool maps_show_no_runtime(pid_t pid)
{
	std::ifstream maps("/proc/" + pid_str(pid) + "/maps");
	std::string line;
	if (!std::getline(maps, line))
		return false;
	return !read_maps(pid).has_runtime;
}

Failure connect_failure(int err, const std::string &path, pid_t pid)
{
	if (err == ENOENT)
		return no_runtime(pid, "");
	if (err == ECONNREFUSED)
		return no_runtime(pid, " (stale socket '" + path + "')");
	// Through /proc/PID/root a missing socket may read as EACCES: the maps decide.
	if (maps_show_no_runtime(pid))
		return no_runtime(pid, "");
	if (err == EAGAIN)
		return Failure{kExitFailed,
			       "process " + pid_str(pid) +
				       "'s runtime is not accepting connections (busy?)"};
	if (err == EACCES || err == EPERM)
		return Failure{kExitFailed, "cannot connect to process " + pid_str(pid) + " at '" +
						    path + "': " + strerror(err) +
						    " (run graft as the process's user or root)"};
	return Failure{kExitFailed, "cannot connect to process " + pid_str(pid) + " at '" + path +
					    "': " + strerror(err)};
}

// The socket must be served by the process itself: anyone who can create a file in the
// socket directory could otherwise pose as the process and collect the patch, or lie
// about its state. SO_PEERCRED names who listens (pid translated into our namespace).
void check_server(int fd, const std::string &path, pid_t pid)
{
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		int err = errno;
		close(fd);
		throw Failure{kExitFailed,
			      "cannot tell who serves '" + path + "': " + strerror(err)};
	}
	if (cred.pid == pid)
		return;
	close(fd);
	throw Failure{kExitFailed, "refused (policy): '" + path + "' is served by process " +
					   pid_str(cred.pid) + " (uid " + std::to_string(cred.uid) +
					   "), not by process " + pid_str(pid) +
					   ": another program squats its socket; remove the file"};
}

int connect_to(const std::string &path, pid_t pid)
{
	sockaddr_un addr{};
	if (path.size() >= sizeof(addr.sun_path))
		throw Failure{kExitFailed, "socket path '" + path + "' is too long"};
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throw Failure{kExitFailed,
			      std::string("cannot create a socket: ") + strerror(errno)};
	// Bounds connect(), which blocks while the server's backlog is full.
	timeval tv{kQueryTimeoutSec, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		// No socket file: a runtime that could not make one listens on its abstract
		// socket (listen.hpp in the runtime). Checked like the file: SO_PEERCRED.
		std::string name;
		int afd = connect_abstract(pid, kQueryTimeoutSec, &name);
		if (afd >= 0) {
			check_server(afd, name, pid);
			return afd;
		}
		throw connect_failure(err, path, pid);
	}
	check_server(fd, path, pid);
	return fd;
}

// Milliseconds left until deadline (at least 0).
int remaining_ms(Clock::time_point deadline)
{
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
	return int(std::max<long long>(0, std::min<long long>(left.count(), INT_MAX)));
}

// Waits for events on fd; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline)
{
	for (;;) {
		pollfd p{fd, events, 0};
		int r = poll(&p, 1, remaining_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0;
	}
}

Failure timed_out(pid_t pid, int timeout_sec)
{
	return Failure{kExitFailed, "no reply from process " + pid_str(pid) + " within " +
					    std::to_string(timeout_sec) +
					    " s (the request may still complete: see 'graft list " +
					    pid_str(pid) + "'; a longer --timeout may help)"};
}

Failure connection_lost(pid_t pid)
{
	if (!process_alive(pid))
		return Failure{kExitFailed,
			       "process " + pid_str(pid) + " exited during the request", true};
	return Failure{kExitFailed,
		       "process " + pid_str(pid) + " closed the connection without replying"};
}

// Sends part of a request; the descriptor, if any, rides with its first byte.
ssize_t send_part(int fd, const char *data, size_t len, int send_fd)
{
	if (send_fd < 0)
		return send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	iovec iov{const_cast<char *>(data), len};
	alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
	msghdr msg{};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &send_fd, sizeof(int));
	return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void send_request(int fd, std::string line, pid_t pid, int timeout_sec, Clock::time_point deadline,
		  int send_fd)
{
	line += '\n';
	size_t done = 0;
	while (done < line.size()) {
		if (!wait_for(fd, POLLOUT, deadline))
			throw timed_out(pid, timeout_sec);
		ssize_t n = send_part(fd, line.data() + done, line.size() - done,
				      done == 0 ? send_fd : -1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			throw connection_lost(pid);
		done += size_t(n);
	}
}

std::string read_reply(int fd, pid_t pid, int timeout_sec, Clock::time_point deadline)
{
	std::string buf;
	for (;;) {
		size_t nl = buf.find('\n');
		if (nl != std::string::npos)
			return buf.substr(0, nl);
		if (buf.size() > control::kMaxReplyBytes)
			throw Failure{kExitFailed,
				      "reply from process " + pid_str(pid) + " is larger than " +
					      std::to_string(control::kMaxReplyBytes) + " bytes"};
		if (!wait_for(fd, POLLIN, deadline))
			throw timed_out(pid, timeout_sec);
		char chunk[65536];
		ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			throw connection_lost(pid);
		buf.append(chunk, size_t(n));
	}
}

} // namespace

pid_t parse_pid(const std::string &text)
{
	pid_t pid = control::pid_of_socket_name(text + ".sock");
	if (pid <= 0)
		throw Failure{kExitUsage, "'" + text + "' is not a process id"};
	return pid;
}

bool process_alive(pid_t pid)
{
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	// A zombie still answers kill(); its state in /proc/PID/stat says it is gone.
	std::ifstream stat("/proc/" + pid_str(pid) + "/stat");
	std::string line;
	if (!std::getline(stat, line))
		return true; // no /proc: trust kill()
	size_t paren = line.rfind(')');
	if (paren == std::string::npos || paren + 2 >= line.size())
		return true;
	char state = line[paren + 2];
	return state != 'Z' && state != 'X';
}

std::string libgraft_path()
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "libgraft.so";
	std::string dir(exe, size_t(n));
	dir.erase(dir.rfind('/'));
	// Installed: GRAFT_PKGLIBDIR_FROM_BIN from the bindir (../lib/graft); in a build
	// tree: ../lib. The installed location is tried first.
	for (const char *rel : {GRAFT_PKGLIBDIR_FROM_BIN, "../lib"}) {
		std::string lib = dir + "/" + rel + "/libgraft.so";
		char real[PATH_MAX];
		if (realpath(lib.c_str(), real))
			return real;
	}
	return dir + "/" GRAFT_PKGLIBDIR_FROM_BIN "/libgraft.so";
}

json request_at(const std::string &path, pid_t pid, const json &req, int timeout_sec, int send_fd)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	Fd sock{connect_to(path, pid)};
	json full = req;
	full[control::field::version] = control::kProtocolVersion;
	send_request(sock.fd, full.dump(), pid, timeout_sec, deadline, send_fd);
	std::string line = read_reply(sock.fd, pid, timeout_sec, deadline);
	json reply = json::parse(line, nullptr, false);
	if (reply.is_discarded() || !reply.is_object() || !reply.contains(control::field::ok) ||
	    !reply[control::field::ok].is_boolean())
		throw Failure{kExitFailed, "process " + pid_str(pid) + " sent a malformed reply"};
	return reply;
}

json request(pid_t pid, const json &req, int timeout_sec, int send_fd)
{
	if (!process_alive(pid))
		throw Failure{kExitFailed, "no process " + pid_str(pid), true};
	std::string path = control_socket_of(pid);
	// A runtime preloaded with control on demand has no socket until a first command
	// starts it (attach.hpp): ptrace, once; later commands find the socket. Decided
	// after a failed attempt: a file of that name may be a stale one left by an earlier
	// process of the same pid. Without a control thread nothing was delivered.
	try {
		return request_at(path, pid, req, timeout_sec, send_fd);
	} catch (const Failure &f) {
		if (f.process_gone || !control_waits(pid))
			throw;
	}
	InjectStats started;
	attach_process(pid, timeout_sec, &started);
	return request_at(path, pid, req, timeout_sec, send_fd);
}

std::string reply_error(const json &reply)
{
	auto it = reply.find(control::field::error);
	if (it != reply.end() && it->is_string())
		return it->get<std::string>();
	return "failed (no reason given)";
}

void print_json(const json &j)
{
	std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

std::string str(const json &j, const char *key)
{
	auto it = j.find(key);
	return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t num(const json &j, const char *key)
{
	auto it = j.find(key);
	if (it == j.end() || !it->is_number_integer())
		return 0;
	return it->is_number_unsigned() ? it->get<uint64_t>()
					: uint64_t(std::max<int64_t>(0, it->get<int64_t>()));
}

bool flag(const json &j, const char *key)
{
	auto it = j.find(key);
	return it != j.end() && it->is_boolean() && it->get<bool>();
}

const json &array_of(const json &j, const char *key)
{
	static const json empty = json::array();
	auto it = j.find(key);
	return it != j.end() && it->is_array() ? *it : empty;
}

} // namespace graft::cli
