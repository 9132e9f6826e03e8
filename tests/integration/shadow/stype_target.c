// SPDX-License-Identifier: MIT
// stype_target.c - target of the shadow type tests: records the patches attach shadow
// variables to, and one command per line on stdin:
//   new N     N more records              -> "ok N"
//   touch     rec_touch on each, summed   -> "touch SUM"
//   peek      records rec_peek says have a shadow -> "peek K"
//   dtors     shadow dtors run on the records -> "dtors SUM MIN MAX BAD"
//   free      rec_free on each            -> "ok"
//   load / unload  dlopen / dlclose libstype_lib.so (next to the executable) -> "ok" or "error: ..."
//   libtouch  lib_touch (the library's) on each, summed -> "libtouch SUM"
//   hold      a thread enters rec_hold and sleeps there until "release" -> "holding"
//   release   wakes it and joins it       -> "released"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "stype.h"

// Keep the patchable functions whole and called by name: no inlining, no clones, and no
// interprocedural register allocation (GCC would keep values in registers the original
// does not clobber across its calls, but a replacement may).
#if defined(__clang__)
#define PATCHABLE __attribute__((noinline, used))
#else
#define PATCHABLE __attribute__((noipa, used))
#endif
// An argument the original does not read is still passed: Clang would otherwise pass
// anything at the call sites of a function whose definition it sees (dead argument
// elimination), and the replacement, which reads it, would get garbage.
#define USE_ARG(a) __asm__ volatile("" : : "r"(a))

#define MAX_RECS 4096

static struct rec *recs[MAX_RECS];
static int nrecs;
static void *lib;

// Through a volatile, so that the compiler cannot fold the original's result into the
// callers (a patch would then never be seen).
static volatile int original_zero;

PATCHABLE int rec_touch(struct rec *r)
{
	USE_ARG(r);
	return original_zero;
}

PATCHABLE int rec_peek(struct rec *r)
{
	USE_ARG(r);
	return original_zero;
}

PATCHABLE void rec_free(struct rec *r)
{
	free(r);
}

// Sleeps in read() on fd until a byte comes: a thread with rec_hold on its stack holds
// a transition that involves it.
PATCHABLE int rec_hold(int fd)
{
	char c;
	return (int)read(fd, &c, 1) + original_zero;
}

static int hold_pipe[2] = {-1, -1};
static pthread_t holder;
static volatile int holder_in; // set by the holder just before it calls rec_hold

static void *hold_main(void *arg)
{
	(void)arg;
	holder_in = 1;
	rec_hold(hold_pipe[0]);
	return NULL;
}

static void do_hold(int on)
{
	if (on) {
		if (pipe(hold_pipe) || pthread_create(&holder, NULL, hold_main, NULL)) {
			printf("error: cannot start the holder\n");
			return;
		}
		while (!holder_in)
			sched_yield();
		printf("holding\n");
		return;
	}
	if (write(hold_pipe[1], "x", 1) != 1 || pthread_join(holder, NULL)) {
		printf("error: cannot release the holder\n");
		return;
	}
	close(hold_pipe[0]);
	close(hold_pipe[1]);
	holder_in = 0;
	printf("released\n");
}

static void do_new(int n)
{
	for (int i = 0; i < n && nrecs < MAX_RECS; i++) {
		struct rec *r = calloc(1, sizeof(*r));
		if (!r)
			break;
		r->id = nrecs;
		recs[nrecs++] = r;
	}
	printf("ok %d\n", nrecs);
}

static void do_dtors(void)
{
	int sum = 0, min = nrecs ? 1 << 30 : 0, max = 0, bad = 0;
	for (int i = 0; i < nrecs; i++) {
		int d = recs[i]->dtor_runs;
		sum += d;
		min = d < min ? d : min;
		max = d > max ? d : max;
		bad += recs[i]->bad_dtor;
	}
	printf("dtors %d %d %d %d\n", sum, min, max, bad);
}

static void do_lib(const char *cmd)
{
	if (strcmp(cmd, "load") == 0) {
		char path[4096];
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
		if (n <= 0) {
			printf("error: cannot read /proc/self/exe\n");
			return;
		}
		path[n] = 0;
		strcpy(strrchr(path, '/') + 1, "libstype_lib.so"); // next to the executable
		lib = dlopen(path, RTLD_NOW);
		printf(lib ? "ok\n" : "error: %s\n", dlerror());
	} else if (strcmp(cmd, "unload") == 0) {
		printf(lib && dlclose(lib) == 0 ? "ok\n" : "error: not loaded\n");
		lib = NULL;
	} else {
		int (*touch)(struct rec *) =
			lib ? (int (*)(struct rec *))dlsym(lib, "lib_touch") : NULL;
		long sum = 0;
		for (int i = 0; touch && i < nrecs; i++)
			sum += touch(recs[i]);
		printf("libtouch %ld\n", sum);
	}
}

int main(void)
{
	char line[128];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		long sum = 0;
		if (strncmp(line, "new ", 4) == 0) {
			do_new(atoi(line + 4));
		} else if (strcmp(line, "touch") == 0 || strcmp(line, "peek") == 0) {
			int touch = line[0] == 't';
			for (int i = 0; i < nrecs; i++)
				sum += touch ? rec_touch(recs[i]) : rec_peek(recs[i]);
			printf("%s %ld\n", line, sum);
		} else if (strcmp(line, "dtors") == 0) {
			do_dtors();
		} else if (strcmp(line, "free") == 0) {
			for (int i = 0; i < nrecs; i++)
				rec_free(recs[i]);
			nrecs = 0;
			printf("ok\n");
		} else if (strcmp(line, "hold") == 0 || strcmp(line, "release") == 0) {
			do_hold(line[0] == 'h');
		} else if (strcmp(line, "load") == 0 || strcmp(line, "unload") == 0 ||
			   strcmp(line, "libtouch") == 0) {
			do_lib(line);
		} else {
			printf("unknown command\n");
		}
	}
	return 0;
}
