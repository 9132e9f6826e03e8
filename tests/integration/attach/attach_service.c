// SPDX-License-Identifier: MIT
// attach_service.c - a multi-threaded C service started WITHOUT graft, for `graft attach`:
// threads blocked in read, accept, epoll_wait, nanosleep and pthread_cond_wait (each
// counts the EINTRs and short sleeps it sees), busy threads looping on malloc/free,
// dlopen/dlclose and pthread_create/join, and a command loop on stdin (one line in,
// one line out).
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static atomic_int eintr_count, short_sleeps, busy_rounds;
static atomic_int holding, hold_release;
static int idle_pipe[2];
static const char *plug_dir;

__attribute__((noinline)) int service_answer(void)
{
	static volatile int v = 1;
	return v;
}

// Spins while asked to: a thread inside it holds a transition of a patch replacing it.
__attribute__((noinline)) int service_busy(void)
{
	atomic_store(&holding, 1);
	while (!atomic_load(&hold_release))
		__asm__ volatile("pause");
	return service_answer();
}

static void note_error(ssize_t r)
{
	if (r < 0 && errno == EINTR)
		atomic_fetch_add(&eintr_count, 1);
}

static void *reader(void *arg)
{
	(void)arg;
	char c;
	for (;;)
		note_error(read(idle_pipe[0], &c, 1));
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "attach-service-%d", (int)getpid());
	bind(s, (struct sockaddr *)&a, sizeof(a));
	listen(s, 1);
	for (;;)
		note_error(accept(s, NULL, NULL));
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev;
	for (;;)
		note_error(epoll_wait(ep, &ev, 1, -1));
	return NULL;
}

// Sleeps of 300 ms, each checked to have lasted that long (a restarted nanosleep keeps
// its remaining time).
static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec t0, t1, req = {0, 300 * 1000 * 1000};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		note_error(nanosleep(&req, NULL));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
		if (ns < 300 * 1000 * 1000)
			atomic_fetch_add(&short_sleeps, 1);
	}
	return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return NULL;
}

static void *mallocer(void *arg)
{
	(void)arg;
	for (unsigned i = 0;; i++) {
		void *p = malloc(16 + i % 4096);
		memset(p, 1, 16);
		free(p);
		if (i % 4096 == 0)
			sched_yield();
	}
	return NULL;
}

static void *dlopener(void *arg)
{
	(void)arg;
	char path[4096];
	snprintf(path, sizeof(path), "%s/libattach-churn.so", plug_dir);
	for (;;) {
		void *h = dlopen(path, RTLD_NOW);
		if (h)
			dlclose(h);
		atomic_fetch_add(&busy_rounds, 1);
		usleep(1000);
	}
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

static void *creator(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
		usleep(500);
	}
	return NULL;
}

static void *spawned(void *arg)
{
	*(int *)arg = service_answer();
	return NULL;
}

static void *hold_thread(void *arg)
{
	(void)arg;
	service_busy();
	return NULL;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void start(void *(*fn)(void *))
{
	pthread_t t;
	pthread_create(&t, NULL, fn, NULL);
	pthread_detach(t);
}

static void command(const char *line)
{
	if (!strcmp(line, "answer")) {
		printf("answer %d\n", service_answer());
	} else if (!strcmp(line, "spawn")) {
		pthread_t t;
		int v = 0;
		pthread_create(&t, NULL, spawned, &v);
		pthread_join(t, NULL);
		printf("spawn %d\n", v);
	} else if (!strcmp(line, "lib")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/libattach-plug.so", plug_dir);
		void *h = dlopen(path, RTLD_NOW);
		int (*fn)(void) = h ? (int (*)(void))dlsym(h, "plug_answer") : NULL;
		printf("lib %d\n", fn ? fn() : -1);
	} else if (!strcmp(line, "ctor") || !strcmp(line, "ctor-dlmopen")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/libattach-ctor.so", plug_dir);
		void *h = line[4] ? dlmopen(LM_ID_BASE, path, RTLD_NOW) : dlopen(path, RTLD_NOW);
		int (*seen)(void) = h ? (int (*)(void))dlsym(h, "ctor_seen") : NULL;
		int (*now)(void) = h ? (int (*)(void))dlsym(h, "ctor_answer") : NULL;
		printf("ctor %d now %d\n", seen ? seen() : -1, now ? now() : -1);
	} else if (!strcmp(line, "tls")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/libattach-tls.so", plug_dir);
		void *h = dlopen(path, RTLD_NOW);
		printf("tls %s\n", h ? "loaded" : dlerror());
	} else if (!strcmp(line, "threads")) {
		printf("threads %d\n", count_threads());
	} else if (!strcmp(line, "hold")) {
		start(hold_thread);
		while (!atomic_load(&holding))
			sched_yield();
		printf("holding\n");
	} else if (!strcmp(line, "release")) {
		atomic_store(&hold_release, 1);
		printf("released\n");
	} else if (!strcmp(line, "errors")) {
		printf("eintr %d short %d\n", atomic_load(&eintr_count),
		       atomic_load(&short_sleeps));
	} else if (!strcmp(line, "busy")) {
		printf("busy %d\n", atomic_load(&busy_rounds));
	} else {
		printf("pong\n");
	}
}

int main(int argc, char **argv)
{
	plug_dir = argc > 1 ? argv[1] : ".";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(idle_pipe))
		return 1;
	void *(*threads[])(void *) = {reader, acceptor, poller,	  sleeper,
				      waiter, mallocer, dlopener, creator};
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++)
		start(threads[i]);
	printf("ready\n");
	char line[256];
	for (;;) {
		ssize_t n = 0;
		size_t len = 0;
		for (;;) { // one byte at a time: the main thread blocks in read()
			n = read(0, line + len, 1);
			if (n < 0 && errno == EINTR) {
				atomic_fetch_add(&eintr_count, 1);
				continue;
			}
			if (n <= 0 || line[len] == '\n' || ++len == sizeof(line) - 1)
				break;
		}
		if (n <= 0)
			return 0;
		line[len] = '\0';
		command(line);
	}
}
