// SPDX-License-Identifier: MIT
// stub_floor.c - libgraft-stub-floor.so: what a preloaded stub of graft would cost at the
// least, measured by bench_startup (BM_StartupVsStubFloor, BM_MemoryVsStubFloor) next
// to libgraft.so in the same run (docs/performance.md, "The floor of start-up and
// memory"). Not graft: it patches nothing and serves no request.
//
// The design it stands for: a small library, preloaded, holding only what must run from
// the start, and the runtime (libgraft.so) loaded on the first request or store match.
// Its constructor does the system calls such a stub cannot avoid, in the order the
// runtime does them (core/init.cpp): the secure-execution, kill-switch and opt-out checks,
// the patch store's index, pthread_atfork, and with GRAFT_CONTROL=at-start the control
// socket and a control thread parked in accept(). What it leaves out costs nothing at start in a program that does
// not call it: the interposers (pthread_create, dlopen, ucontext, Boost.Context) are
// symbol definitions, and their bodies run only when called.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_fd = -1;
static char sock_path[108];

static int file_contains(const char *path, const char *needle)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, needle) != NULL;
}

// The runtime's reasons to stay inert: setuid, the kill switch, PID 1, graft.conf.
static int inert_here(void)
{
	char exe[4096];
	if (getauxval(AT_SECURE) || access("/etc/graft/disable", F_OK) == 0 ||
	    file_contains("/proc/cmdline", "graft.enable=0") || getpid() == 1)
		return 1;
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		return 1;
	return file_contains("/etc/graft/graft.conf", "exclude");
}

static void *control_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "graft-ctl", 0, 0, 0);
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd); // a stub would load the runtime here and hand it the client
	}
	return NULL;
}

static void nothing(void) {}

static void remove_socket(void)
{
	unlink(sock_path);
}

static int listen_control(void)
{
	const char *dir = getenv("GRAFT_RUNTIME_DIR");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!dir || (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/%d.sock", dir, (int)getpid());
	memcpy(addr.sun_path, sock_path, sizeof(sock_path));
	unlink(sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(sock_path, 0600) != 0 || listen(listen_fd, 16) != 0)
		return -1;
	atexit(remove_socket);
	return 0;
}

__attribute__((constructor)) static void stub_floor_init(void)
{
	if (inert_here())
		return;
	unsetenv("GRAFT_PATCHES");
	close(open("/var/lib/graft/index", O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	pthread_atfork(nothing, nothing, nothing);
	// As the runtime: the socket and thread wait for a first command unless
	// GRAFT_CONTROL=at-start (then the floor of a stub reachable without ptrace).
	const char *control = getenv("GRAFT_CONTROL");
	if (!control || strcmp(control, "at-start") != 0 || listen_control() != 0)
		return;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); // the control thread takes no signal
	pthread_t t;
	if (pthread_create(&t, NULL, control_thread, NULL) == 0)
		pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
