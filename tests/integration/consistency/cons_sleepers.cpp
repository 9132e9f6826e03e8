// SPDX-License-Identifier: MIT
// cons_sleepers.cpp - four threads parked in system calls that a signal would interrupt
// (read, futex, nanosleep, epoll_wait), each counting the returns nobody asked for: a
// transition must switch them from outside, without a signal, so the count stays 0.
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/futex.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>

namespace {

std::atomic<long> interrupted{0};
std::atomic<int> started{0};
int tids[4];
int sleep_pipe[2] = {-1, -1};
int futex_word = 0;
int epoll_fd = -1;

void begin(int i, const char *name)
{
	pthread_setname_np(pthread_self(), name);
	tids[i] = int(syscall(SYS_gettid));
	started++;
}

void *read_main(void *)
{
	begin(0, "sleep-read");
	char c;
	for (;;)
		if (read(sleep_pipe[0], &c, 1) < 0 && errno == EINTR)
			interrupted++;
}

// A raw FUTEX_WAIT (what a condition variable waits in), so that any return shows:
// nobody ever wakes this word.
void *futex_main(void *)
{
	begin(1, "sleep-futex");
	for (;;) {
		syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
		interrupted++;
	}
}

void *nanosleep_main(void *)
{
	begin(2, "sleep-nano");
	for (;;) {
		timespec ts{3600, 0};
		if (nanosleep(&ts, nullptr) < 0 && errno == EINTR)
			interrupted++;
	}
}

void *epoll_main(void *)
{
	begin(3, "sleep-epoll");
	epoll_event ev;
	for (;;)
		if (epoll_wait(epoll_fd, &ev, 1, -1) < 0 && errno == EINTR)
			interrupted++;
}

} // namespace

void start_sleepers()
{
	if (sleep_pipe[0] < 0 && pipe(sleep_pipe))
		return (void)printf("error pipe\n");
	epoll_fd = epoll_create1(0);
	void *(*mains[4])(void *) = {read_main, futex_main, nanosleep_main, epoll_main};
	for (auto *m : mains) {
		pthread_t t;
		pthread_create(&t, nullptr, m, nullptr);
		pthread_detach(t);
	}
	while (started < 4)
		sched_yield();
	printf("sleepers %d %d %d %d\n", tids[0], tids[1], tids[2], tids[3]);
}

long eintr_total()
{
	return interrupted.load();
}
