/* SPDX-License-Identifier: MIT */
/* prog.c - a target linked with libstoretgt.so.1. The first line it prints comes from
 * main, so a patch enabled before main shows there. Then it obeys stdin:
 *   call          prints tgt_version()
 *   dlopen PATH   loads the library (its constructor prints), prints "dlopen ok/ERROR"
 *   fork N        forks N children that keep reading nothing and sleep (a prefork
 *                 server); prints their pids on one line
 *   mdwe          prctl(PR_SET_MDWE): no writable+executable memory from now on
 *   wx            tries a writable+executable mmap, and mprotect of a writable page to
 *                 executable: "wx: mmap refused|allowed, mprotect refused|allowed"
 * Started as `store_prog mdwe`, it sets PR_SET_MDWE and executes itself again (same pid,
 * same environment): the whole program, runtime included, runs under the ban. Started
 * as `store_prog seccomp-wx`, it does the same with the seccomp filter systemd installs
 * for MemoryDenyWriteExecute=yes (wx_filter.h). */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wx_filter.h"

const char *tgt_version(void);

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

/* Sets the ban named by mode; 0 on success. */
static int ban(const char *mode)
{
	if (strcmp(mode, "mdwe") == 0)
		return prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0);
	if (strcmp(mode, "seccomp-wx") == 0)
		return install_wx_filter();
	return -1;
}

int main(int argc, char **argv)
{
	char line[512];
	if (argc > 1) {
		if (ban(argv[1]) != 0) {
			printf("main: %s unavailable\n", argv[1]);
			return 1;
		}
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return 1;
		self[n] = '\0'; /* by its own path, so that its name stays store_prog */
		execl(self, argv[0], (char *)NULL);
		return 1;
	}
	printf("main: %s\n", tgt_version());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "call") == 0) {
			printf("call: %s\n", tgt_version());
		} else if (strncmp(line, "dlopen ", 7) == 0) {
			void *h = dlopen(line + 7, RTLD_NOW);
			printf("dlopen %s\n", h ? "ok" : dlerror());
		} else if (strncmp(line, "fork ", 5) == 0) {
			int n = atoi(line + 5);
			char pids[256] = "children:";
			for (int i = 0; i < n; i++) {
				pid_t pid = fork();
				if (pid == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					for (;;)
						pause();
				}
				snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), " %d",
					 (int)pid);
			}
			printf("%s\n", pids);
		} else if (strcmp(line, "wx") == 0) {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			int x = q == MAP_FAILED ? -1 : mprotect(q, 4096, PROT_READ | PROT_EXEC);
			printf("wx: mmap %s, mprotect %s\n",
			       p == MAP_FAILED ? "refused" : "allowed",
			       x != 0 ? "refused" : "allowed");
			if (p != MAP_FAILED)
				munmap(p, 4096);
			if (q != MAP_FAILED)
				munmap(q, 4096);
		} else if (strcmp(line, "mdwe") == 0) {
			int r = prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0);
			printf("mdwe %s\n", r == 0 ? "on" : "unavailable");
		} else {
			printf("unknown: %s\n", line);
		}
		fflush(stdout);
	}
	return 0;
}
