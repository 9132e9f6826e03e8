// SPDX-License-Identifier: MIT
// fork_log.c - forks argv[1] times while another thread writes to graft's log without
// pause (graft_log, found with dlsym: the program runs under LD_PRELOAD or graft run).
// Each child exits at once; a child still alive after 20 s is hung (it inherited the
// log's lock held by the logging thread, which does not exist in the child): it is
// killed and reported. Prints "forks ok N" or "child hung at fork I".
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void (*log_fn)(const char *, ...);
static atomic_int stop;

static void *logger(void *arg)
{
	(void)arg;
	for (long i = 0; !atomic_load(&stop); i++)
		log_fn("fork-log tick %ld", i);
	return NULL;
}

// 1 when pid exited within 20 s, else 0 (then it is killed).
static int reaped(pid_t pid)
{
	for (int i = 0; i < 20000; i++) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 1;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int forks = argc > 1 ? atoi(argv[1]) : 100;
	log_fn = (void (*)(const char *, ...))dlsym(RTLD_DEFAULT, "graft_log");
	if (!log_fn) {
		printf("no graft_log: not under graft\n");
		return 2;
	}
	pthread_t t;
	pthread_create(&t, NULL, logger, NULL);
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || !reaped(pid)) {
			printf("child hung at fork %d\n", i);
			return 1;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("forks ok %d\n", forks);
	return 0;
}
