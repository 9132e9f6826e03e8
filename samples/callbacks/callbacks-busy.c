/* SPDX-License-Identifier: MIT */
/* callbacks-busy.c - libcallbacks_busy.so, the kernel's test_klp_callbacks_busy: its
 * constructor starts a worker in busymod_work_func() (a function the demo patch
 * replaces) and waits until the worker is inside it. Unless the target asked it to block
 * the transition, the worker leaves before the constructor returns; else it stays in
 * the function, sleeping, until the library is unloaded. */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "../livepatch/sample_attrs.h"
#include "say.h"

/* Set by callbacks-target before it loads this library ("load libcallbacks_busy.so block"). */
#pragma weak callbacks_busy_block
extern int callbacks_busy_block;

static pthread_t worker;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool entered, finished, block_transition;

static bool blocking(void)
{
	pthread_mutex_lock(&lock);
	bool b = block_transition;
	pthread_mutex_unlock(&lock);
	return b;
}

__attribute__((visibility("default"))) SAMPLE_PATCHABLE void busymod_work_func(void)
{
	SAY("libcallbacks_busy: busymod_work_func enter");
	pthread_mutex_lock(&lock);
	entered = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	while (blocking()) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	SAY("libcallbacks_busy: busymod_work_func exit");
}

static void *work(void *arg)
{
	(void)arg;
	busymod_work_func();
	pthread_mutex_lock(&lock);
	finished = true; /* a replacement may return without ever setting entered */
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

__attribute__((constructor)) static void callbacks_busy_init(void)
{
	SAY("libcallbacks_busy: callbacks_busy_init");
	block_transition = &callbacks_busy_block && callbacks_busy_block;
	if (pthread_create(&worker, NULL, work, NULL) != 0) {
		SAY("libcallbacks_busy: cannot start the worker");
		block_transition = false;
		return;
	}
	if (!block_transition) {
		pthread_join(worker, NULL);
		return;
	}
	pthread_mutex_lock(&lock);
	while (!entered && !finished)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

__attribute__((destructor)) static void callbacks_busy_exit(void)
{
	pthread_mutex_lock(&lock);
	bool was_blocking = block_transition;
	block_transition = false;
	pthread_mutex_unlock(&lock);
	if (was_blocking)
		pthread_join(worker, NULL);
	SAY("libcallbacks_busy: callbacks_busy_exit");
}
