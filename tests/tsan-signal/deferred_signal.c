// SPDX-License-Identifier: MIT
// deferred_signal.c - what ThreadSanitizer does to an asynchronous signal, and so to
// graft's precise check (docs/testing.md, "ThreadSanitizer"). A thread spins in
// uninstrumented code (spin.c); the handler compares the loop count saved in the
// signal's context (r12 at the signal's arrival) with the count now. Delivered by the
// kernel, the two agree. Under TSan the signal is held until the thread next passes an
// interceptor and the handler then gets a copy of the context from the arrival: the
// thread has run on in between, so a handler that decides from the context decides on
// the past. Prints the difference for 10 signals.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>
#include <unistd.h>

extern volatile unsigned long counter;
void spin(void);

static volatile long delta[10];
static volatile int handled;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
	delta[handled] = (long)(counter - (unsigned long)uc->uc_mcontext.gregs[REG_R12]);
	handled++;
}

static void *spinner(void *arg)
{
	(void)arg;
	spin();
	return NULL;
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	usleep(100000);
	for (int k = 0; k < 10; k++) {
		int before = handled;
		pthread_kill(t, SIGUSR1);
		while (handled == before)
			usleep(1000);
	}
	printf("iterations between the signal's arrival and its handler:");
	for (int k = 0; k < 10; k++)
		printf(" %ld", delta[k]);
	printf("\n");
	return 0;
}
