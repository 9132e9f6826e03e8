// SPDX-License-Identifier: MIT
// policy_target.c - a one-thread program under a policy graft attach must cope with,
// chosen by its argument; it answers stdin line by line ("answer", "errors", else
// "pong") with read(2), so that nothing but its one system call is in flight.
//   hang    a seccomp filter hands clone/clone3 to a supervisor that never answers
//           (SECCOMP_RET_USER_NOTIF): the borrowed thread's pthread_create never returns.
//   mdwe    prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): no mapping may become
//           writable and executable (systemd's MemoryDenyWriteExecute=).
//   nodump  root drops to user nobody and makes itself non-dumpable.
//   epoll   its only thread waits in epoll_wait, which a ptrace stop would interrupt
//           (EINTR): graft must not borrow it.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static int eintr;

// The answers come from volatile reads: a function that returns a constant is folded
// into its callers by Clang (interprocedural constant propagation, which noinline does
// not stop), and the ASan build's answer() then never called service_answer at all, so
// no patch could change it.
__attribute__((noinline, visibility("default"))) int service_answer(void)
{
	static volatile int v = 1;
	return v;
}

__attribute__((noinline, visibility("default"))) int service_busy(void)
{
	static volatile int v = 1;
	return v;
}

static int hang_clone(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	/* The listener stays open and is never read: a notified call waits forever. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			    &prog) < 0
		       ? -1
		       : 0;
}

static void answer(const char *line)
{
	char out[64];
	if (!strcmp(line, "answer"))
		snprintf(out, sizeof(out), "answer %d\n", service_answer());
	else if (!strcmp(line, "errors"))
		snprintf(out, sizeof(out), "eintr %d\n", eintr);
	else
		snprintf(out, sizeof(out), "pong\n");
	if (write(1, out, strlen(out)) < 0)
		_exit(1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char ready[64] = "ready\n";
	if (!strcmp(mode, "hang") && hang_clone())
		return 1;
	if (!strcmp(mode, "mdwe") && prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0))
		snprintf(ready, sizeof(ready), "no-mdwe %s\n", strerror(errno));
	if (!strcmp(mode, "nodump") && ((getuid() == 0 && (setgid(65534) || setuid(65534))) ||
					prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)))
		return 1;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev))
		return 1;
	if (write(1, ready, strlen(ready)) < 0)
		return 1;
	char line[128];
	size_t len = 0;
	for (;;) {
		if (!strcmp(mode, "epoll") && epoll_wait(ep, &ev, 1, -1) < 0) {
			eintr += errno == EINTR;
			continue;
		}
		ssize_t n = read(0, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		for (char *nl; (nl = memchr(line, '\n', len));) {
			*nl = '\0';
			answer(line);
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len);
		}
	}
}
