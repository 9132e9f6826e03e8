// SPDX-License-Identifier: MIT
// cons_target.cpp - the consistency tests' target: threads that hold a transition (busy,
// blocker), threads that must stay consistent (spin), come and go (spawn), sleep in
// system calls (sleepers); one reply line per stdin command.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cons_funcs.hpp"

namespace {

int gettid_()
{
	return int(syscall(SYS_gettid));
}

void wait_flag(const volatile int *flag)
{
	while (!*flag)
		sched_yield();
}

// ---- busy: a thread parked inside busymod_work_func (the kernel's busymod) ----------

struct Busy {
	pthread_t thread{};
	bool running = false;
	int cmd[2] = {-1, -1};	 // commands to the busy thread
	int reply[2] = {-1, -1}; // its answer to 't'
	volatile int tid = 0;
	int result = 0;
} busy;

void *busy_main(void *)
{
	pthread_setname_np(pthread_self(), "busy");
	busy.tid = gettid_();
	busy.result = busymod_work_func(busy.cmd[0]);
	return nullptr;
}

void start_busy()
{
	if (busy.running)
		return (void)printf("busy %d\n", int(busy.tid));
	if (pipe(busy.cmd) || pipe(busy.reply))
		return (void)printf("error pipe\n");
	busy_entered = 0;
	busy.tid = 0;
	pthread_create(&busy.thread, nullptr, busy_main, nullptr);
	wait_flag(&busy_entered);
	busy.running = true;
	printf("busy %d\n", int(busy.tid));
}

void close_busy_pipes()
{
	for (int *p : {busy.cmd, busy.reply}) {
		close(p[0]);
		close(p[1]);
		p[0] = p[1] = -1;
	}
	busy.running = false;
}

void release_busy()
{
	if (!busy.running)
		return (void)printf("error not busy\n");
	(void)!write(busy.cmd[1], "x", 1);
	pthread_join(busy.thread, nullptr);
	close_busy_pipes();
	printf("released %d\n", busy.result);
}

void cancel_busy()
{
	if (!busy.running)
		return (void)printf("error not busy\n");
	void *ret = nullptr;
	pthread_cancel(busy.thread);
	pthread_join(busy.thread, &ret);
	close_busy_pipes();
	printf(ret == PTHREAD_CANCELED ? "cancelled\n" : "error not cancelled\n");
}

// "pass V caught WHAT": cons_pass(5) tells the version run, cons_pass(-1) throws
// through cons_pass and is caught here, above it.
std::string throw_test()
{
	std::string out = "pass " + std::to_string(cons_pass(5));
	try {
		out += " returned " + std::to_string(cons_pass(-1));
	} catch (const std::runtime_error &e) {
		out += std::string(" caught ") + e.what();
	}
	return out;
}

void busy_throw()
{
	if (!busy.running)
		return (void)printf("error not busy\n");
	(void)!write(busy.cmd[1], "t", 1);
	char buf[128] = {};
	ssize_t n = read(busy.reply[0], buf, sizeof(buf) - 1);
	printf("%s\n", n > 0 ? buf : "error no reply");
}

} // namespace

extern "C" void cons_busy_throw_test(void)
{
	std::string out = throw_test();
	(void)!write(busy.reply[1], out.data(), out.size());
}

namespace {

// ---- spawn: threads created during a transition --------------------------------------

struct Spawned {
	std::vector<pthread_t> stayers;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	bool leave = false;
	std::atomic<int> versions[3]{}; // [1] old, [2] new: what the stayers saw
} spawned;

void *exiter_main(void *arg)
{
	*static_cast<int *>(arg) = cons_version();
	return nullptr;
}

void *stayer_main(void *)
{
	spawned.versions[cons_version() == 2 ? 2 : 1]++;
	pthread_mutex_lock(&spawned.lock);
	while (!spawned.leave)
		pthread_cond_wait(&spawned.cond, &spawned.lock); // checked from outside, no signal
	pthread_mutex_unlock(&spawned.lock);
	return nullptr;
}

void spawn(int n)
{
	std::vector<pthread_t> exiters(static_cast<size_t>(n));
	std::vector<int> seen(static_cast<size_t>(n), 0);
	int base = int(spawned.stayers.size());
	spawned.leave = false;
	for (int i = 0; i < n; i++) {
		pthread_create(&exiters[size_t(i)], nullptr, exiter_main, &seen[size_t(i)]);
		pthread_t t;
		pthread_create(&t, nullptr, stayer_main, nullptr);
		spawned.stayers.push_back(t);
	}
	int exit_new = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(exiters[size_t(i)], nullptr);
		exit_new += seen[size_t(i)] == 2;
	}
	while (spawned.versions[1] + spawned.versions[2] < base + n)
		sched_yield();
	printf("spawn exit-new %d/%d stay-new %d/%d\n", exit_new, n, spawned.versions[2].load(),
	       int(spawned.stayers.size()));
}

void unstay()
{
	pthread_mutex_lock(&spawned.lock);
	spawned.leave = true;
	pthread_cond_broadcast(&spawned.cond);
	pthread_mutex_unlock(&spawned.lock);
	for (pthread_t t : spawned.stayers)
		pthread_join(t, nullptr);
	printf("unstayed %zu\n", spawned.stayers.size());
	spawned.stayers.clear();
	spawned.versions[1] = spawned.versions[2] = 0;
}

// ---- sigspin: a thread that blocks every signal and spins in user space --------------

struct SigSpin {
	pthread_t thread{};
	bool running = false;
	volatile int stop = 0;
	volatile int tid = 0;
} sigspin;

void *sigspin_main(void *)
{
	pthread_setname_np(pthread_self(), "sigspin");
	sigspin.tid = gettid_();
	while (!sigspin.stop)
		__builtin_ia32_pause();
	return nullptr;
}

// Created with every signal already blocked (the mask is inherited), so the thread can
// only be switched by the state it inherits from its creator.
void start_sigspin()
{
	sigset_t all, old;
	sigfillset(&all);
	sigspin.stop = 0;
	sigspin.tid = 0;
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&sigspin.thread, nullptr, sigspin_main, nullptr);
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	wait_flag(&sigspin.tid);
	sigspin.running = true;
	printf("sigspin %d\n", int(sigspin.tid));
}

void stop_sigspin()
{
	if (!sigspin.running)
		return (void)printf("error not spinning\n");
	sigspin.stop = 1;
	pthread_join(sigspin.thread, nullptr);
	sigspin.running = false;
	printf("sigstopped\n");
}

} // namespace

// The commands of the codec, blocker and sleeper parts (cons_target_more.cpp).
bool more_command(const std::string &verb, const std::string &arg);

namespace {

using Handler = void (*)(const std::string &arg);

void command(const std::string &line)
{
	size_t sp = line.find(' ');
	std::string verb = line.substr(0, sp);
	std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
	static const std::map<std::string, Handler> table = {
		{"ping", [](const std::string &) { printf("pong\n"); }},
		{"tid", [](const std::string &) { printf("tid %d\n", gettid_()); }},
		{"busy", [](const std::string &) { start_busy(); }},
		{"release", [](const std::string &) { release_busy(); }},
		{"cancel", [](const std::string &) { cancel_busy(); }},
		{"bthrow", [](const std::string &) { busy_throw(); }},
		{"throw", [](const std::string &) { printf("%s\n", throw_test().c_str()); }},
		{"version", [](const std::string &) { printf("version %d\n", cons_version()); }},
		{"spawn", [](const std::string &a) { spawn(atoi(a.c_str())); }},
		{"unstay", [](const std::string &) { unstay(); }},
		{"sigspin", [](const std::string &) { start_sigspin(); }},
		{"sigstop", [](const std::string &) { stop_sigspin(); }},
	};
	auto it = table.find(verb);
	if (it != table.end())
		it->second(arg);
	else if (!more_command(verb, arg))
		printf("unknown command '%s'\n", line.c_str());
}

} // namespace

int main()
{
	char buf[256];
	setvbuf(stdout, nullptr, _IOLBF, 0);
	printf("ready\n");
	while (fgets(buf, sizeof(buf), stdin)) {
		std::string line(buf);
		while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
			line.pop_back();
		if (line == "quit")
			break;
		command(line);
	}
	// Threads still parked (busy, sleepers) end with the process.
	fflush(stdout);
	_exit(0);
}
