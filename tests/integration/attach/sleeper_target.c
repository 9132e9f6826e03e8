// SPDX-License-Identifier: MIT
// sleeper_target.c - the main thread sleeps 400 ms at a time with nanosleep, checking
// that each sleep lasted that long and never saw EINTR; graft attach borrows it (the
// main thread in a restartable call comes first), so its interrupted nanosleep must
// restart with its remaining time. Another thread answers on stdin.
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int eintr_count, short_sleeps, sleeps;

static void *answer(void *arg)
{
	(void)arg;
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		int n = atomic_load(&sleeps);
		while (atomic_load(&sleeps) < n + 2) // two whole sleeps after the question
			usleep(10 * 1000);
		printf("eintr %d short %d\n", atomic_load(&eintr_count),
		       atomic_load(&short_sleeps));
	}
	_exit(0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t t;
	pthread_create(&t, NULL, answer, NULL);
	printf("ready\n");
	for (;;) {
		struct timespec t0, t1, req = {0, 400 * 1000 * 1000};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (nanosleep(&req, NULL) != 0 && errno == EINTR)
			atomic_fetch_add(&eintr_count, 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
		if (ns < 400 * 1000 * 1000)
			atomic_fetch_add(&short_sleeps, 1);
		atomic_fetch_add(&sleeps, 1);
	}
}
