// SPDX-License-Identifier: MIT
// shadow-target.c - a leaky program, after the kernel's samples/livepatch/
// livepatch-shadow-mod.c: every tick allocates a dummy record together with a buffer it
// forgets (the leak), and frees the records that expired.
//
// Commands on stdin, one per line, each answered with one line on stdout:
//   tick [N]  run N (default 1) rounds: advance the clock, allocate one dummy, free the
//             expired ones                      -> "ticks=T dummies=D buffers=B"
//   stats     the same line without a round: B is the number of buffers allocated and
//             not freed (allocations minus frees), the leak to watch
//   quit      free every dummy and exit         -> "bye"
// Options: --auto MS  also run a round every MS milliseconds while idle.
//          -v         trace allocations and frees on stderr.
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dummy.h"

// Keep the patchable functions whole and called by name: no inlining, no clones.
#if defined(__clang__)
#define PATCHABLE __attribute__((noinline, used))
#else
#define PATCHABLE __attribute__((noipa, used))
#endif

// Patches reach these through graft_sym (struct graft_object.syms).
unsigned long clock_ticks;
unsigned long buffers_allocated, buffers_freed;

static struct dummy *dummies;
static size_t dummy_count;
static bool verbose;

PATCHABLE void *buffer_alloc(size_t size)
{
	void *p = calloc(1, size);
	if (p)
		buffers_allocated++;
	return p;
}

PATCHABLE void buffer_free(void *p)
{
	if (p) {
		buffers_freed++;
		free(p);
	}
}

PATCHABLE struct dummy *dummy_alloc(void)
{
	struct dummy *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->expires = clock_ticks + DUMMY_LIFETIME;

	/* Oops, forgot to save leak! */
	int *leak = buffer_alloc(sizeof(int));
	if (!leak) {
		free(d);
		return NULL;
	}
	if (verbose)
		fprintf(stderr, "dummy_alloc: dummy @ %p, expires @ %lx\n", (void *)d, d->expires);
	return d;
}

PATCHABLE void dummy_free(struct dummy *d)
{
	if (verbose)
		fprintf(stderr, "dummy_free: dummy @ %p, expired = %lx\n", (void *)d, d->expires);
	free(d);
}

PATCHABLE bool dummy_check(struct dummy *d, unsigned long now)
{
	return now > d->expires;
}

// One round: the kernel sample's alloc_work_func and cleanup_work_func.
static void tick(void)
{
	clock_ticks++;
	struct dummy *d = dummy_alloc();
	if (d) {
		d->next = dummies;
		dummies = d;
		dummy_count++;
	}
	for (struct dummy **pp = &dummies; *pp;) {
		struct dummy *cur = *pp;
		if (dummy_check(cur, clock_ticks)) {
			*pp = cur->next;
			dummy_free(cur);
			dummy_count--;
		} else {
			pp = &cur->next;
		}
	}
}

static void print_stats(void)
{
	printf("ticks=%lu dummies=%zu buffers=%lu\n", clock_ticks, dummy_count,
	       buffers_allocated - buffers_freed);
}

static void free_all_dummies(void)
{
	while (dummies) {
		struct dummy *d = dummies;
		dummies = d->next;
		dummy_free(d);
		dummy_count--;
	}
}

// Handles one command line; false on quit or end of input.
static bool command(char *line)
{
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	unsigned long n = 1;
	if (strncmp(line, "tick", 4) == 0 && (line[4] == '\0' || line[4] == ' ')) {
		if (line[4] == ' ')
			n = strtoul(line + 5, NULL, 10);
		while (n--)
			tick();
		print_stats();
	} else if (strcmp(line, "stats") == 0) {
		print_stats();
	} else if (strcmp(line, "quit") == 0) {
		free_all_dummies();
		printf("bye\n");
		return false;
	} else if (line[0] != '\0') {
		printf("error: unknown command '%s' (tick [N], stats, quit)\n", line);
	}
	return true;
}

int main(int argc, char **argv)
{
	int auto_ms = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--auto") == 0 && i + 1 < argc)
			auto_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--auto MS] [-v]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	// Unbuffered stdin: poll() then sees every line that fgets() has not consumed.
	setvbuf(stdin, NULL, _IONBF, 0);
	printf("shadow-target: pid %d\n", (int)getpid());

	char line[256];
	for (;;) {
		if (auto_ms >= 0) {
			struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
			int r = poll(&pfd, 1, auto_ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) { // idle: an automatic round
				tick();
				continue;
			}
		}
		if (!fgets(line, sizeof(line), stdin) || !command(line))
			break;
	}
	free_all_dummies();
	return 0;
}
