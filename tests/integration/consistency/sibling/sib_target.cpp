// SPDX-License-Identifier: MIT
// sib_target.cpp - the sibling-call tests' target: one thread per variant (sib_funcs.h)
// calling its codec in a loop. One reply line per stdin command:
//   spin plain|pfe  one spinning thread per variant, on that copy: "spinning 5"
//   mismatches      "mismatches M" so far, all variants
//   stop            "calls C mismatches M" then per variant "NAME calls/mismatches"
//   block           a thread blocked in sib_sleep under sib_block: "blocked TID"
//   release         wakes it: "released V", V the sib_version it saw
//   contract        a thread waiting inside sib_fna: "waiting TID"
//   go              lets it on: "fnc V fnb W", the versions of sib_fnc and sib_fnb
//   quit
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sib_funcs.h"

volatile int sib_pause_loops = 200;
static volatile long sink;

extern "C" __attribute__((noinline, used)) void sib_pause(void)
{
	for (int i = sib_pause_loops; i > 0; i--)
		sink = sink + 1;
}

namespace {
int block_pipe[2] = {-1, -1};
pthread_t block_thread;
volatile int block_tid;
} // namespace

extern "C" __attribute__((noinline, used)) void sib_sleep(void)
{
	block_tid = int(gettid());
	char c;
	(void)!read(block_pipe[0], &c, 1); // checked from outside while blocked here
	sib_seen = sib_version();
}

namespace {
int contract_pipe[2] = {-1, -1};
pthread_t contract_thread;
volatile int contract_tid;
} // namespace

extern "C" __attribute__((noinline, used)) void sib_wait_contract(void)
{
	contract_tid = int(gettid());
	char c;
	(void)!read(contract_pipe[0], &c, 1);
}

namespace {

void *contract_main(void *)
{
	int fnc = sib_fna();
	int fnb = sib_fnb();
	return reinterpret_cast<void *>(long(fnc * 10 + fnb));
}

void contract()
{
	if (pipe(contract_pipe))
		return (void)printf("error pipe\n");
	pthread_create(&contract_thread, nullptr, contract_main, nullptr);
	while (!contract_tid)
		usleep(1000);
	printf("waiting %d\n", int(contract_tid));
}

void go()
{
	(void)!write(contract_pipe[1], "x", 1);
	void *v = nullptr;
	pthread_join(contract_thread, &v);
	printf("fnc %ld fnb %ld\n", long(v) / 10, long(v) % 10);
}

void *block_main(void *)
{
	return reinterpret_cast<void *>(long(sib_block()));
}

void block()
{
	if (pipe(block_pipe))
		return (void)printf("error pipe\n");
	pthread_create(&block_thread, nullptr, block_main, nullptr);
	while (!block_tid)
		usleep(1000);
	printf("blocked %d\n", int(block_tid));
}

void release()
{
	(void)!write(block_pipe[1], "x", 1);
	void *v = nullptr;
	pthread_join(block_thread, &v);
	printf("released %ld\n", long(v));
}

const char *const kNames[SIB_VARIANTS] = {"direct", "pointer", "chain", "plt", "method"};

struct Spinner {
	pthread_t thread{};
	int variant = 0;
	bool pfe = false;
	long calls = 0;
	long mismatches = 0;
};

volatile int stop_flag;
std::vector<Spinner> spinners(SIB_VARIANTS);

void *spin_main(void *arg)
{
	auto *s = static_cast<Spinner *>(arg);
	s->calls = s->pfe ? sib_spin_pfe(s->variant, &stop_flag, &s->mismatches)
			  : sib_spin(s->variant, &stop_flag, &s->mismatches);
	return nullptr;
}

long total_mismatches()
{
	long m = 0;
	for (const Spinner &s : spinners)
		m += __atomic_load_n(&s.mismatches, __ATOMIC_RELAXED);
	return m;
}

void stop()
{
	stop_flag = 1;
	long calls = 0;
	std::string each;
	for (Spinner &s : spinners) {
		pthread_join(s.thread, nullptr);
		calls += s.calls;
		each += std::string(" ") + kNames[s.variant] + " " + std::to_string(s.calls) + "/" +
			std::to_string(s.mismatches);
	}
	printf("calls %ld mismatches %ld%s\n", calls, total_mismatches(), each.c_str());
}

} // namespace

int main()
{
	setvbuf(stdout, nullptr, _IOLBF, 0);
	printf("ready\n");
	char buf[128];
	while (fgets(buf, sizeof(buf), stdin)) {
		std::string line(buf);
		while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
			line.pop_back();
		if (line == "quit")
			break;
		if (line == "spin plain" || line == "spin pfe") {
			for (int v = 0; v < SIB_VARIANTS; v++) {
				spinners[size_t(v)].variant = v;
				spinners[size_t(v)].pfe = line == "spin pfe";
				pthread_create(&spinners[size_t(v)].thread, nullptr, spin_main,
					       &spinners[size_t(v)]);
			}
			printf("spinning %d\n", int(SIB_VARIANTS));
		} else if (line == "mismatches") {
			printf("mismatches %ld\n", total_mismatches());
		} else if (line == "stop") {
			stop();
		} else if (line == "contract") {
			contract();
		} else if (line == "go") {
			go();
		} else if (line == "block") {
			block();
		} else if (line == "release") {
			release();
		} else {
			printf("unknown command '%s'\n", line.c_str());
		}
	}
	_exit(0);
}
