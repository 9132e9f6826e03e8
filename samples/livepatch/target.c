/* SPDX-License-Identifier: MIT */
/* target.c - livepatch-target: a small line-command service whose answers the livepatch samples change. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sample_attrs.h"

const char *greeting_suffix(void); /* libgreeting.so */

/* The stand-in for the kernel sample's cmdline_proc_show(): global and exported (in
 * .dynsym too), so a patch finds it even in a stripped executable. */
__attribute__((visibility("default"))) SAMPLE_PATCHABLE const char *cmdline_show(void)
{
	return SAMPLE_OPAQUE("original cmdline");
}

/* A static function: only .symtab names it. */
static SAMPLE_PATCHABLE const char *version_show(void)
{
	return SAMPLE_OPAQUE("original version");
}

static void reply(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static void reply_all(void)
{
	printf("exe: %s | lib: %s | static: %s\n", cmdline_show(), greeting_suffix(),
	       version_show());
	fflush(stdout);
}

/* Answers one command with one line; returns 1 on quit. */
static int handle(const char *cmd)
{
	if (strcmp(cmd, "exe") == 0)
		reply(cmdline_show());
	else if (strcmp(cmd, "lib") == 0)
		reply(greeting_suffix());
	else if (strcmp(cmd, "static") == 0)
		reply(version_show());
	else if (strcmp(cmd, "all") == 0)
		reply_all();
	else if (strcmp(cmd, "pid") == 0) {
		printf("%ld\n", (long)getpid());
		fflush(stdout);
	} else if (strcmp(cmd, "quit") == 0)
		return 1;
	else if (cmd[0] != '\0') {
		printf("unknown command '%s' (exe, lib, static, all, pid, quit)\n", cmd);
		fflush(stdout);
	}
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds until the next periodic "all", -1 without --serve. */
static int poll_timeout(double interval, double next)
{
	if (interval <= 0)
		return -1;
	double left = next - now_seconds();
	return left <= 0 ? 0 : (int)(left * 1000.0) + 1;
}

/* Runs every complete line of buf[0..*len) and keeps the rest; returns 1 on quit. */
static int run_lines(char *buf, size_t *len)
{
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL) {
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		if (handle(start))
			return 1;
		start = nl + 1;
	}
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
	return 0;
}

/* Reads commands until quit or end of input; with interval > 0 also answers "all"
 * every interval seconds. A signal (the runtime sends some) only restarts the wait. */
static int serve(double interval)
{
	char buf[4096];
	size_t len = 0;
	double next = now_seconds() + interval;
	for (;;) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&pfd, 1, poll_timeout(interval, next));
		if (n < 0 && errno != EINTR)
			return 1;
		if (interval > 0 && now_seconds() >= next) {
			reply_all();
			next += interval;
		}
		if (n <= 0)
			continue;
		ssize_t got = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return 0; /* end of input */
		len += (size_t)got;
		if (run_lines(buf, &len))
			return 0;
		if (len == sizeof(buf) - 1) { /* a line too long: answer its start */
			buf[len] = '\0';
			len = 0;
			if (handle(buf))
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	double interval = 0;
	if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
		char *end;
		interval = strtod(argv[2], &end);
		if (*end != '\0' || !(interval > 0)) {
			fprintf(stderr,
				"livepatch-target: --serve needs a positive number of seconds\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr,
			"usage: %s [--serve SECONDS]\n"
			"commands on stdin: exe, lib, static, all, pid, quit\n",
			argv[0]);
		return 2;
	}
	return serve(interval);
}
