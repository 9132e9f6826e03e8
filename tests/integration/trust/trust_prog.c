/* SPDX-License-Identifier: MIT */
/* trust_prog.c - a target linked with libtrusttgt.so.1. Prints "ready", then obeys
 * stdin:
 *   call      prints tgt_version()
 *   hold      starts a thread that sleeps inside tgt_hold; prints "held"
 *   release   wakes it; prints "released" once it has left tgt_hold
 *   nodump    prctl(PR_SET_DUMPABLE, 0): the kernel refuses ptrace to its user now */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

const char *tgt_version(void);
int tgt_hold(int fd);

static int hold_pipe[2];

static void *holder(void *arg)
{
	(void)arg;
	tgt_hold(hold_pipe[0]);
	return NULL;
}

int main(void)
{
	char line[256];
	pthread_t thread;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "call") == 0) {
			printf("call: %s\n", tgt_version());
		} else if (strcmp(line, "hold") == 0) {
			if (pipe(hold_pipe) != 0 ||
			    pthread_create(&thread, NULL, holder, NULL) != 0)
				printf("hold failed\n");
			else
				printf("held\n");
		} else if (strcmp(line, "release") == 0) {
			if (write(hold_pipe[1], "x", 1) == 1 && pthread_join(thread, NULL) == 0)
				printf("released\n");
			else
				printf("release failed\n");
		} else if (strcmp(line, "nodump") == 0) {
			printf("nodump %s\n", prctl(PR_SET_DUMPABLE, 0) == 0 ? "on" : "failed");
		} else {
			printf("unknown: %s\n", line);
		}
		fflush(stdout);
	}
	return 0;
}
