// SPDX-License-Identifier: MIT
// server.cpp - the control socket and its thread: accept one client at a time, check
// its uid, read bounded newline-delimited requests, reply. Nothing here may disturb
// the host: every error is logged or replied, never thrown, never fatal.
#include "control/control.hpp"
#include "os/thread_signal.hpp"
#include "transition/thread_state.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/checks.hpp"
#include "control/dispatch.hpp"
#include "control/protocol.hpp"
#include "base/log.hpp"

namespace graft::control {
namespace {

// A connected client that sends nothing for this long is dropped, so that one stuck
// client cannot keep the (single-client) server from everyone else forever.
constexpr int kIdleTimeoutMs = 10000;
constexpr int kSendTimeoutSec = 10;

// Plain atomics only: control_after_fork_child reads them in a fork child, where a
// mutex held by a vanished thread would never be released.
std::atomic<int> listen_fd{-1};
std::atomic<int> client_fd{-1};
std::atomic<pid_t> owner_pid{0};  // the process that bound the socket; 0 if none
char sock_path[sizeof(sockaddr_un::sun_path)];

bool send_all(int fd, const std::string &data)
{
	size_t done = 0;
	while (done < data.size()) {
		ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;  // peer gone or SO_SNDTIMEO expired
		done += size_t(n);
	}
	return true;
}

bool send_line(int fd, std::string line)
{
	line += '\n';
	return send_all(fd, line);
}

// Reads more bytes into buf. Returns >0 bytes read, 0 at EOF, -1 on error or idle timeout.
ssize_t read_some(int fd, std::string &buf)
{
	for (;;) {
		pollfd p{fd, POLLIN, 0};
		int r = poll(&p, 1, kIdleTimeoutMs);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0)
			buf.append(chunk, size_t(n));
		return n;
	}
}

// Returns false when the connection must end (refused, malformed request, peer gone).
bool serve_one_line(int fd, std::string_view line)
{
	Reply reply = handle_request(line, geteuid());
	return send_line(fd, std::move(reply.line)) && !reply.close;
}

void serve_requests(int fd)
{
	std::string buf;
	for (;;) {
		size_t nl = buf.find('\n');
		if (nl != std::string::npos) {
			if (!serve_one_line(fd, std::string_view(buf).substr(0, nl)))
				return;
			buf.erase(0, nl + 1);
			continue;
		}
		if (buf.size() > kMaxRequestBytes) {
			send_line(fd, error_reply("request longer than " +
						  std::to_string(kMaxRequestBytes) +
						  " bytes: connection closed"));
			return;
		}
		ssize_t n = read_some(fd, buf);
		if (n < 0)
			return;
		if (n == 0) {  // EOF: a last request without its newline still counts
			if (!buf.empty())
				serve_one_line(fd, buf);
			return;
		}
	}
}

void serve_client(int fd)
{
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return;
	uid_t euid = geteuid();
	if (!peer_allowed(cred.uid, euid)) {
		log::printf("graft: refused control connection from pid %d uid %u", int(cred.pid),
			    unsigned(cred.uid));
		send_line(fd, error_reply(peer_refusal(cred.uid, euid)));
		return;
	}
	timeval tv{kSendTimeoutSec, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	serve_requests(fd);
}

// Transient accept failures (out of descriptors or memory) must not end the server.
bool accept_error_is_transient(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EMFILE || err == ENFILE ||
	       err == ENOBUFS || err == ENOMEM || err == EPROTO || err == EAGAIN;
}

void *control_thread(void *arg)
{
	int lfd = int(reinterpret_cast<intptr_t>(arg));
	pthread_setname_np(pthread_self(), "graft-ctl");
	// graft's own thread signal stays deliverable: the code patcher and the consistency
	// model wait for every thread running in user space to answer it.
	os::unblock_thread_signal();
	transition::set_internal(transition::self_tid()); // never holds a transition
	int err = 0;
	for (;;) {
		int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
		if (fd < 0) {
			err = errno;
			if (!accept_error_is_transient(err))
				break;
			if (err != EINTR && err != ECONNABORTED)
				usleep(100 * 1000);  // out of fds or memory: let it pass
			continue;
		}
		client_fd.store(fd);
		try {
			serve_client(fd);
		} catch (...) {
			// Nothing the client sends may take the process down; drop the client.
		}
		client_fd.store(-1);
		close(fd);
	}
	if (listen_fd.load() != lfd) {
		close(lfd);  // control_stop() shut it down: the descriptor is still ours
	} else {
		// The application closed our descriptor (daemons close every fd they did not
		// open); the number may be someone else's now, so leave it alone.
		log::printf("graft: control socket lost (%s): 'graft' cannot reach this process",
			    strerror(err));
	}
	return nullptr;
}

// The thread inherits the creator's signal mask, so block everything around
// pthread_create (lttng-ust's pattern): no application signal is ever delivered to
// the control thread, and the caller's own mask is restored afterwards.
bool start_thread(int lfd, std::string *why)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t thread;
	int err = pthread_create(&thread, &attr, control_thread,
				 reinterpret_cast<void *>(intptr_t(lfd)));
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	if (err != 0) {
		*why = std::string("cannot start the control thread: ") + strerror(err);
		return false;
	}
	return true;
}

// Binds and listens on path; returns the socket or -1 with *why set.
int bind_socket(const std::string &path, std::string *why)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = std::string("cannot create the control socket: ") + strerror(errno);
		return -1;
	}
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	unlink(path.c_str());  // stale: left by an earlier process with our pid
	if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
	    chmod(path.c_str(), 0600) != 0 || listen(fd, 16) != 0) {
		*why = "cannot listen on '" + path + "': " + strerror(errno);
		close(fd);
		unlink(path.c_str());
		return -1;
	}
	return fd;
}

std::string runtime_dir_secure()
{
	// secure_getenv: in a setuid program the caller's environment must not choose
	// where the socket goes.
	return runtime_dir_from(secure_getenv("GRAFT_RUNTIME_DIR"),
				secure_getenv("XDG_RUNTIME_DIR"), geteuid());
}

bool start(std::string *why)
{
	std::string dir = runtime_dir_secure();
	if (!ensure_runtime_dir(dir, geteuid(), why))
		return false;
	std::string path = socket_path(dir, getpid());
	if (path.size() >= sizeof(sock_path)) {
		*why = "control socket path '" + path + "' is too long for a Unix socket (max " +
		       std::to_string(sizeof(sock_path) - 1) + " bytes): set GRAFT_RUNTIME_DIR";
		return false;
	}
	int fd = bind_socket(path, why);
	if (fd < 0)
		return false;
	memcpy(sock_path, path.c_str(), path.size() + 1);
	listen_fd.store(fd);
	owner_pid.store(getpid());
	if (!start_thread(fd, why)) {
		control_stop();
		close(fd);
		return false;
	}
	log::printf("graft: control socket '%s'", sock_path);
	return true;
}

} // namespace

bool control_start(std::string *why)
{
	std::string ignored;
	if (!why)
		why = &ignored;
	if (owner_pid.load() == getpid())
		return true;
	try {
		if (start(why))
			return true;
	} catch (const std::exception &e) {
		*why = std::string("cannot start the control server: ") + e.what();
	} catch (...) {
		*why = "cannot start the control server";
	}
	log::printf("graft: no control socket: %s", why->c_str());
	return false;
}

void control_after_fork_child()
{
	// Only close: shutdown() would also stop the parent's listening socket, which is
	// the same open file. The parent's socket path is left alone for the same reason.
	int cfd = client_fd.exchange(-1);
	if (cfd >= 0)
		close(cfd);
	int lfd = listen_fd.exchange(-1);
	if (lfd >= 0)
		close(lfd);
	owner_pid.store(0);
	std::string why;
	control_start(&why);
}

void control_stop()
{
	// Only the process that bound the socket removes it: a fork child that never
	// started its own server must not remove its parent's.
	pid_t self = getpid();
	pid_t expected = self;
	if (!owner_pid.compare_exchange_strong(expected, 0))
		return;
	unlink(sock_path);
	int lfd = listen_fd.exchange(-1);
	if (lfd >= 0)
		shutdown(lfd, SHUT_RDWR);  // wakes accept(); the thread then closes lfd
}

namespace {
__attribute__((destructor)) void control_at_exit()
{
	control_stop();
}
} // namespace

} // namespace graft::control
