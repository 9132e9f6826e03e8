// SPDX-License-Identifier: MIT
// cons_target_more.cpp - the consistency target's codec spinners (h(x) == g(f(x)) == x
// only if f and g are of one version) and the signal-blocking caller of cons_k.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cons_funcs.hpp"

namespace {

int gettid_()
{
	return int(syscall(SYS_gettid));
}

// ---- spin N / mismatches / stop: codec consistency -----------------------------------

std::atomic<bool> spinning{false};
std::atomic<long> calls{0}, mismatches{0};
std::vector<pthread_t> spinners;

void *spinner_main(void *arg)
{
	long x = 1 + long(reinterpret_cast<uintptr_t>(arg)) * 100000;
	while (spinning.load(std::memory_order_relaxed)) {
		x = x % 1000000 + 1; // varying x; the mixed versions agree with x only at 500
		if (codec_h(x) != x && x != 500)
			mismatches.fetch_add(1, std::memory_order_relaxed);
		calls.fetch_add(1, std::memory_order_relaxed);
	}
	return nullptr;
}

void start_spin(int n)
{
	spinning = true;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, nullptr, spinner_main, reinterpret_cast<void *>(uintptr_t(i)));
		spinners.push_back(t);
	}
	printf("spinning %zu\n", spinners.size());
}

void stop_spin()
{
	spinning = false;
	for (pthread_t t : spinners)
		pthread_join(t, nullptr);
	spinners.clear();
	printf("calls %ld mismatches %ld\n", calls.load(), mismatches.load());
}

// ---- blocker: every signal blocked, running inside cons_k ----------------------------

struct Blocker {
	pthread_t thread{};
	bool running = false;
	cons_k_ctl ctl{};
	volatile int tid = 0;
	int result = 0;
} blocker;

void *blocker_main(void *)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, nullptr);
	pthread_setname_np(pthread_self(), "blocker");
	blocker.tid = gettid_();
	blocker.result = cons_k(&blocker.ctl);
	return nullptr;
}

void start_blocker()
{
	blocker.ctl.stop = 0;
	blocker.ctl.entered = 0;
	pthread_create(&blocker.thread, nullptr, blocker_main, nullptr);
	while (!blocker.ctl.entered) // in cons_k before the test goes on
		sched_yield();
	blocker.running = true;
	printf("blocker %d in %d\n", int(blocker.tid), int(blocker.ctl.entered));
}

void stop_blocker()
{
	if (!blocker.running)
		return (void)printf("error no blocker\n");
	blocker.ctl.stop = 1;
	pthread_join(blocker.thread, nullptr);
	blocker.running = false;
	printf("unblocked %d\n", blocker.result);
}

void call_k()
{
	cons_k_ctl ctl{};
	ctl.stop = 1;
	printf("k %d\n", cons_k(&ctl));
}

} // namespace

// cons_sleepers.cpp
void start_sleepers();
long eintr_total();

bool more_command(const std::string &verb, const std::string &arg)
{
	if (verb == "spin")
		start_spin(atoi(arg.c_str()));
	else if (verb == "stop")
		stop_spin();
	else if (verb == "mismatches")
		printf("mismatches %ld calls %ld\n", mismatches.load(), calls.load());
	else if (verb == "pause")
		codec_pause = atoi(arg.c_str()), printf("pause %d\n", int(codec_pause));
	else if (verb == "blocker")
		start_blocker();
	else if (verb == "unblock")
		stop_blocker();
	else if (verb == "k")
		call_k();
	else if (verb == "idle")
		printf("idle %d\n", cons_idle_func());
	else if (verb == "sleepers")
		start_sleepers();
	else if (verb == "eintr")
		printf("eintr %ld\n", eintr_total());
	else
		return false;
	return true;
}
