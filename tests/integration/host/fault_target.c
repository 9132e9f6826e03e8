// SPDX-License-Identifier: MIT
// fault_target.c - the target of the fault and soak tests: a small service whose
// answer comes from fault_answer() (1; the patch fault_patch.c makes it 2), with
// worker threads calling it all the time and counting answers that are neither.
// Commands on stdin, one reply line each:
//   answer        a fresh call of fault_answer() from this thread
//   hold          a thread enters fault_answer() and stays in it, so a patch's
//                 transition cannot complete ("held" once it is inside)
//   release       lets it return ("released")
//   stats         "calls N wrong M": the workers' calls and wrong answers so far
//   heap          "heap N": bytes malloc holds in use, every arena (mallinfo2), for
//                 the soak's by-hand runs: a leak grows it, allocator caching does not
//   arm KIND N    (with fault_shim.c) the Nth allocation (KIND malloc) or mapping
//                 (KIND mmap) made from now on by graft's control threads fails, and
//                 every later one ("armed"); "no shim" without it
//   disarm        "disarmed FAILED": how many calls were made to fail
// argv[1]: the number of worker threads (default 2).
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_shim.h"

static atomic_int hold;
static atomic_int inside;
static atomic_long calls, wrong;
// Read through a volatile so the compiler cannot fold the answer into its callers.
static volatile int original_answer = 1;

__attribute__((noinline, visibility("default"))) int fault_answer(void)
{
	atomic_fetch_add(&inside, 1);
	while (atomic_load(&hold))
		usleep(1000);
	atomic_fetch_sub(&inside, 1);
	return original_answer;
}

static void *holder(void *arg)
{
	(void)arg;
	fault_answer();
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		int a = fault_answer();
		atomic_fetch_add(&calls, 1);
		if (a != 1 && a != 2)
			atomic_fetch_add(&wrong, 1);
		usleep(200);
	}
	return NULL;
}

static void do_hold(void)
{
	pthread_t t;
	atomic_store(&hold, 1);
	pthread_create(&t, NULL, holder, NULL);
	pthread_detach(t);
	while (atomic_load(&inside) == 0) // the workers sleep outside it: this is the holder
		usleep(1000);
	printf("held\n");
}

static void command(const char *line)
{
	char kind[16];
	long n;
	if (!strncmp(line, "answer", 6)) {
		printf("%d\n", atomic_load(&hold) ? -1 : fault_answer());
	} else if (!strncmp(line, "hold", 4)) {
		do_hold();
	} else if (!strncmp(line, "release", 7)) {
		atomic_store(&hold, 0);
		printf("released\n");
	} else if (!strncmp(line, "stats", 5)) {
		printf("calls %ld wrong %ld\n", atomic_load(&calls), atomic_load(&wrong));
	} else if (!strncmp(line, "heap", 4)) {
		printf("heap %zu\n", mallinfo2().uordblks);
	} else if (sscanf(line, "arm %15s %ld", kind, &n) == 2) {
		printf("%s\n", fault_shim_arm(kind, n) ? "armed" : "no shim");
	} else if (!strncmp(line, "disarm", 6)) {
		printf("disarmed %ld\n", fault_shim_disarm());
	} else {
		printf("unknown\n");
	}
}

int main(int argc, char **argv)
{
	int workers = argc > 1 ? atoi(argv[1]) : 2;
	for (int i = 0; i < workers; i++) {
		pthread_t t;
		pthread_create(&t, NULL, worker, NULL);
	}
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		command(line);
		fflush(stdout);
	}
	return 0;
}
