// SPDX-License-Identifier: MIT
// threads_target.c - the attach benchmark's target: N threads in all (N-1 waiting in
// pthread_cond_wait on 64 KiB stacks, the main thread blocked in read), started without
// graft. Prints "ready" once every thread exists.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_broadcast(&cv);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 1; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, waiter, NULL) != 0)
			return 1;
	}
	pthread_mutex_lock(&mu);
	while (started < n - 1)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("ready\n");
	fflush(stdout);
	char c;
	return read(0, &c, 1) < 0;
}
