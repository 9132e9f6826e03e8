// SPDX-License-Identifier: MIT
// server.cpp - the control socket and its threads: the control thread accepts, each
// client is served by a thread of its own (at most kMaxClients at once; past that a
// client gets a refusal naming the bound), which checks its uid, reads bounded
// newline-delimited requests and replies. A stuck, slow or malicious client costs only
// its own thread: a request must arrive whole within kRequestDeadlineMs of its first
// byte, and a connection that starts no request for kIdleTimeoutMs is closed. Patch
// operations stay serialised by patch_mutex in the core. Nothing here may disturb the
// host: every error is logged or replied, never thrown, never fatal.
#include "control/control.hpp"
#include "os/thread_signal.hpp"
#include "transition/thread_state.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <poll.h>
#include <time.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/checks.hpp"
#include "control/dispatch.hpp"
#include "control/listen.hpp"
#include "control/load.hpp"
#include "control/protocol.hpp"
#include "base/log.hpp"
#include "os/creds.hpp"
#include "trust/admission.hpp"

namespace graft::control {
namespace {

// A connected client that starts no request for this long is dropped; a request must
// be complete (its newline) within kRequestDeadlineMs of its first byte, so a client
// that sends a byte now and then cannot hold its thread forever either.
constexpr int kIdleTimeoutMs = 10000;
constexpr int kRequestDeadlineMs = 10000;
constexpr int kSendTimeoutSec = 10;
constexpr int kMaxClients = 16;

// Plain atomics only: control_after_fork_child reads them in a fork child, where a
// mutex held by a vanished thread would never be released. client_slots: one per
// client thread, holding its descriptor + 1 (0, the zero-initialised value, is free);
// whoever exchanges a descriptor out of a slot closes it.
std::atomic<int> listen_fd{-1};
std::atomic<int> client_slots[kMaxClients];
std::atomic<pid_t> owner_pid{0}; // the process that bound the socket; 0 if none
char sock_path[sizeof(sockaddr_un::sun_path)];

bool send_all(int fd, const std::string &data)
{
	size_t done = 0;
	while (done < data.size()) {
		ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false; // peer gone or SO_SNDTIMEO expired
		done += size_t(n);
	}
	return true;
}

bool send_line(int fd, std::string line)
{
	line += '\n';
	return send_all(fd, line);
}

int64_t now_ms()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The descriptor that came with the bytes of a message (SCM_RIGHTS), if any: kept for
// the request it came with, one at a time (a newer one replaces and closes the older).
void keep_fds(msghdr *msg, int *pending_fd)
{
	for (cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*pending_fd >= 0)
				close(*pending_fd);
			*pending_fd = fd;
		}
	}
}

// Reads more bytes into buf, waiting until deadline_ms (CLOCK_MONOTONIC); a descriptor
// sent with them lands in *pending_fd. Returns >0 bytes read, 0 at EOF, -1 on error or
// when the deadline passed.
ssize_t read_some(int fd, std::string &buf, int64_t deadline_ms, int *pending_fd)
{
	for (;;) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0)
			return -1;
		pollfd p{fd, POLLIN, 0};
		int r = poll(&p, 1, int(std::min<int64_t>(left, INT_MAX)));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		char chunk[4096];
		alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
		iovec iov{chunk, sizeof(chunk)};
		msghdr msg{};
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n >= 0)
			keep_fds(&msg, pending_fd);
		if (n > 0)
			buf.append(chunk, size_t(n));
		return n;
	}
}

// Returns false when the connection must end (refused, malformed request, peer gone).
// The descriptor that came with the request is closed once it is served.
bool serve_one_line(int fd, std::string_view line, Client &client)
{
	Reply reply = handle_request(line, client, geteuid());
	if (client.fd >= 0)
		close(client.fd);
	client.fd = -1;
	return send_line(fd, std::move(reply.line)) && !reply.close;
}

void serve_requests(int fd, Client &client)
{
	std::string buf;
	int64_t deadline = now_ms() + kIdleTimeoutMs; // for the next request's first byte
	for (;;) {
		size_t nl = buf.find('\n');
		if (nl != std::string::npos) {
			if (!serve_one_line(fd, std::string_view(buf).substr(0, nl), client))
				return;
			buf.erase(0, nl + 1);
			deadline = now_ms() + (buf.empty() ? kIdleTimeoutMs : kRequestDeadlineMs);
			continue;
		}
		if (buf.size() > kMaxRequestBytes) {
			send_line(fd, error_reply("request longer than " +
						  std::to_string(kMaxRequestBytes) +
						  " bytes: connection closed"));
			return;
		}
		bool started = !buf.empty();
		ssize_t n = read_some(fd, buf, deadline, &client.fd);
		if (n < 0) {
			if (started)
				send_line(fd,
					  error_reply("request not complete within " +
						      std::to_string(kRequestDeadlineMs / 1000) +
						      " s: connection closed"));
			return;
		}
		if (!started && n > 0)
			deadline = now_ms() + kRequestDeadlineMs; // a request began
		if (n == 0) { // EOF: a last request without its newline still counts
			if (!buf.empty())
				serve_one_line(fd, buf, client);
			return;
		}
	}
}

void drain_request(int fd);

// The kernel's rule for who may inject code (trust/admission.hpp) decides who is
// served at all; a refusal is audited.
void serve_client(int fd)
{
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return;
	Client client{cred.uid, cred.gid, cred.pid, -1};
	std::string refusal = trust::admission_refusal(cred.uid, cred.gid, os::own_creds());
	if (!refusal.empty()) {
		log::printf("graft: refused control connection from pid %d uid %u", int(cred.pid),
			    unsigned(cred.uid));
		audit("connect", core::Result::fail(refusal), client, "");
		drain_request(fd);
		send_line(fd, error_reply(refusal));
		shutdown(fd, SHUT_WR);
		return;
	}
	timeval tv{kSendTimeoutSec, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	serve_requests(fd, client);
	if (client.fd >= 0)
		close(client.fd);
}

// Transient accept failures (out of descriptors or memory) must not end the server.
bool accept_error_is_transient(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EMFILE || err == ENFILE ||
	       err == ENOBUFS || err == ENOMEM || err == EPROTO || err == EAGAIN;
}

// Runs serve_client on the client thread; nothing may escape it.
void serve_client_logged(int fd)
{
	try {
		serve_client(fd);
	} catch (const std::exception &e) {
		log::printf("graft: control client dropped: %s", e.what());
	} catch (...) {
		log::printf("graft: control client dropped: unknown exception");
	}
}

void *client_thread(void *arg)
{
	int slot = int(reinterpret_cast<intptr_t>(arg));
	pthread_setname_np(pthread_self(), "graft-ctl-c");
	int fd = client_slots[slot].load() - 1;
	if (fd >= 0)
		serve_client_logged(fd);
	fd = client_slots[slot].exchange(0) - 1;
	if (fd >= 0)
		close(fd);
	return nullptr;
}

// A free slot for fd, or -1 when kMaxClients are connected.
int take_slot(int fd)
{
	for (int i = 0; i < kMaxClients; i++) {
		int expected = 0;
		if (client_slots[i].compare_exchange_strong(expected, fd + 1))
			return i;
	}
	return -1;
}

// The refusal must reach the client: closing a Unix socket whose request was not read
// resets the connection, and the client sees no reply at all. So the request is read
// first, waiting at most 1 s for it (this may run on the accepting thread; a client that
// connects and sends its request later than that sees a closed connection instead of
// the refusal).
void drain_request(int fd)
{
	char sink[4096];
	int64_t deadline = now_ms() + 1000;
	for (bool got_line = false; !got_line;) {
		pollfd p{fd, POLLIN, 0};
		int64_t left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, int(left)) <= 0)
			break;
		ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		got_line = memchr(sink, '\n', size_t(n)) != nullptr;
	}
	timeval tv{1, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void refuse_client(int fd, const std::string &why)
{
	log::printf("graft: control connection refused: %s", why.c_str());
	drain_request(fd);
	send_line(fd, busy_reply(why));
	shutdown(fd, SHUT_WR);
	close(fd);
}

// The control thread's signal mask (everything blocked but graft's signal) is
// inherited by the client threads.
void start_client(int fd)
{
	int slot = take_slot(fd);
	if (slot < 0) {
		refuse_client(fd, "too many clients: " + std::to_string(kMaxClients) +
					  " are connected to process " + std::to_string(getpid()) +
					  "; try again when one finished");
		return;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t thread;
	int err = pthread_create(&thread, &attr, client_thread,
				 reinterpret_cast<void *>(intptr_t(slot)));
	pthread_attr_destroy(&attr);
	if (err == 0)
		return;
	if (client_slots[slot].exchange(0) == fd + 1)
		refuse_client(fd, std::string("cannot start a thread for this client: ") +
					  strerror(err));
}

// Out of memory, the refusal itself (a string, a JSON reply) throws std::bad_alloc;
// escaping the control thread it would terminate the process (found by the fault test
// Faults.AllocationFailuresDuringLoad). Only the refusal paths can throw, and there
// the descriptor is still this thread's: close it, and keep serving.
void start_client_or_drop(int fd)
{
	try {
		start_client(fd);
	} catch (...) {
		close(fd);
		try {
			log::printf("graft: control connection dropped: out of memory");
		} catch (...) {
		}
	}
}

void *control_thread(void *arg)
{
	int lfd = int(reinterpret_cast<intptr_t>(arg));
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
				usleep(100 * 1000); // out of fds or memory: let it pass
			continue;
		}
		start_client_or_drop(fd);
	}
	if (listen_fd.load() != lfd) {
		close(lfd); // control_stop() shut it down: the descriptor is still ours
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
	// Named here, not by the thread itself: `graft` tells a runtime whose control runs
	// from one that waits for a first command by this name (cli/attach_target.hpp), and
	// the new thread may not have run yet.
	pthread_setname_np(thread, "graft-ctl");
	return true;
}

// Set once by control_set_dir before the control thread exists; read by start().
std::string attach_dir;

std::string runtime_dir_secure()
{
	if (!attach_dir.empty())
		return attach_dir;
	// secure_getenv: in a setuid program the caller's environment must not choose
	// where the socket goes.
	return runtime_dir_from(secure_getenv("GRAFT_RUNTIME_DIR"),
				secure_getenv("XDG_RUNTIME_DIR"), geteuid());
}

bool start(std::string *why)
{
	Listener l;
	std::string file_why;
	if (!listen_control(runtime_dir_secure(), &l, &file_why)) {
		*why = file_why;
		return false;
	}
	// sock_path stays "" for an abstract socket: control_stop has no file to remove.
	memcpy(sock_path, l.path.c_str(), l.path.size() + 1);
	listen_fd.store(l.fd);
	owner_pid.store(getpid());
	if (!start_thread(l.fd, why)) {
		control_stop();
		close(l.fd);
		return false;
	}
	if (l.path.empty())
		log::printf("graft: control socket '%s' (abstract: %s)", l.label.c_str(),
			    file_why.c_str());
	else
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

void control_set_dir(const std::string &dir)
{
	attach_dir = dir;
}

void control_after_fork_child(bool restart)
{
	// Only close: shutdown() would also stop the parent's listening socket, which is
	// the same open file. The parent's socket path is left alone for the same reason.
	for (auto &slot : client_slots) {
		int cfd = slot.exchange(0) - 1;
		if (cfd >= 0)
			close(cfd);
	}
	int lfd = listen_fd.exchange(-1);
	if (lfd >= 0)
		close(lfd);
	owner_pid.store(0);
	if (!restart)
		return;
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
	if (sock_path[0])
		unlink(sock_path);
	int lfd = listen_fd.exchange(-1);
	if (lfd >= 0)
		shutdown(lfd, SHUT_RDWR); // wakes accept(); the thread then closes lfd
}

namespace {
__attribute__((destructor)) void control_at_exit()
{
	control_stop();
}
} // namespace

} // namespace graft::control
