// SPDX-License-Identifier: MIT
// bench_transition.cpp - cost per call of a function in transition: from a thread that
// has not switched (the loop runs inside an old patched function, and a second thread is
// parked in another, so the transition cannot complete), from a thread that has, and
// after completion; against a direct call of the replacement. Target: <= 15 ns.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "bench_support.hpp"
#include "core/api.hpp"
#include "transition/entry_call.hpp"

extern "C" {
int bench_tr_target(void);
int bench_tr_outer(void (*body)(void *), void *arg);
int bench_tr_hold(int fd);
long bench_tr_busy_loop(volatile int *stop);
int bench_tr_call_once(void);
}

namespace {

using Fn = int (*)();
const char *kPatch = "bench-tr-call";

// A thread parked in the old bench_tr_hold (blocked in read) for as long as it lives.
class Holder {
public:
	Holder()
	{
		if (pipe(fds_))
			std::abort();
		thread_ = std::thread([this] { bench_tr_hold(fds_[0]); });
	}
	~Holder()
	{
		(void)!write(fds_[1], "x", 1);
		thread_.join();
		close(fds_[0]);
		close(fds_[1]);
	}

private:
	int fds_[2];
	std::thread thread_;
};

// The replacement's address, from the patch's own view.
uintptr_t replacement_of(const std::string &func)
{
	for (const auto &p : graft::core::patch_list())
		for (const auto &o : p.objects)
			for (const auto &f : o.funcs)
				if (p.name == kPatch && f.name == func)
					return f.new_addr;
	return 0;
}

struct Loop {
	benchmark::State *state;
	Fn fn;
	bool start_transition; // load the patch from inside bench_tr_outer first
	long sum = 0;
};

void run_loop(void *arg)
{
	auto *l = static_cast<Loop *>(arg);
	if (l->start_transition) {
		auto r = graft::core::patch_load(bench::module(kPatch), true);
		bench::must(r.ok, "load", r.error);
		l->fn = bench_tr_target;
	}
	Fn volatile fp = l->fn;
	long sum = 0;
	for (auto _ : *l->state)
		sum += fp();
	l->sum = sum;
}

void unload_patch()
{
	auto r = graft::core::patch_disable(kPatch); // reverses a transition in progress
	bench::must(r.ok, "disable", r.error);
	bench::must(bench::wait_complete(), "disable", "did not complete");
	r = graft::core::patch_unload(kPatch);
	bench::must(r.ok, "unload", r.error);
}

// Reports which version the loop ran: 1 (old) or 2 (new) on average.
void report(benchmark::State &state, const Loop &l, bool in_transition)
{
	state.counters["version"] =
		state.iterations() ? double(l.sum) / double(state.iterations()) : 0;
	state.counters["in_transition"] = in_transition;
}

} // namespace

static void BM_DirectCallOfReplacement(benchmark::State &state)
{
	bench::runtime_init();
	auto r = graft::core::patch_load(bench::module(kPatch), false);
	bench::must(r.ok, "load", r.error);
	Loop l{&state, reinterpret_cast<Fn>(replacement_of("bench_tr_target")), false};
	run_loop(&l);
	report(state, l, false);
	r = graft::core::patch_unload(kPatch);
	bench::must(r.ok, "unload", r.error);
}
BENCHMARK(BM_DirectCallOfReplacement);

static void BM_CallInTransitionUnswitched(benchmark::State &state)
{
	bench::runtime_init();
	Holder holder;
	Loop l{&state, nullptr, true};
	bench_tr_outer(run_loop, &l); // the loop runs inside the OLD bench_tr_outer
	bool held = graft::core::transition_status().active;
	unload_patch();
	report(state, l, held);
}
BENCHMARK(BM_CallInTransitionUnswitched);

static void BM_CallInTransitionSwitched(benchmark::State &state)
{
	bench::runtime_init();
	Holder holder;
	auto r = graft::core::patch_load(bench::module(kPatch), true);
	bench::must(r.ok, "load", r.error);
	bench_tr_call_once(); // a direct call: switches this thread at the entry (clean stack)
	Loop l{&state, bench_tr_target, false};
	run_loop(&l);
	bool held = graft::core::transition_status().active;
	unload_patch();
	report(state, l, held);
}
BENCHMARK(BM_CallInTransitionSwitched);

static void BM_CallPatchedAfterCompletion(benchmark::State &state)
{
	bench::runtime_init();
	auto r = graft::core::patch_load(bench::module(kPatch), true);
	bench::must(r.ok, "load", r.error);
	bench::must(bench::wait_complete(), "enable", "did not complete");
	Loop l{&state, bench_tr_target, false};
	run_loop(&l);
	unload_patch();
	report(state, l, false);
}
BENCHMARK(BM_CallPatchedAfterCompletion);

// How long a patch whose function two busy threads spend most of their time in (called
// directly from a loop) takes from enable to complete, by entry rule: 0 the call rule
// (default), 1 the entry switch of before (any entry, unsound with sibling calls), 2 no
// entry switch (only the rounds' signals, which mostly find the thread inside it). Run
// the last alone: when it times out it forces the patch, which stays loaded.
static void BM_BusyThreadSwitch(benchmark::State &state)
{
	namespace tr = graft::transition;
	bench::runtime_init();
	const tr::EntrySwitch modes[] = {tr::EntrySwitch::call, tr::EntrySwitch::any,
					 tr::EntrySwitch::never};
	tr::set_entry_switch(modes[state.range(0)]);
	auto r = graft::core::patch_load(bench::module(kPatch), false);
	bench::must(r.ok, "load", r.error);
	volatile int stop = 0;
	std::thread busy[2];
	for (auto &t : busy)
		t = std::thread([&stop] { bench_tr_busy_loop(&stop); });
	bool forced = false;
	for (auto _ : state) {
		auto t0 = std::chrono::steady_clock::now();
		r = graft::core::patch_enable(kPatch);
		bench::must(r.ok, "enable", r.error);
		if (!bench::wait_complete(10000)) {
			// Without entry switches the busy threads may never be caught outside the
			// function: end it with force (the patch then stays loaded for good).
			bench::must(graft::core::transition_force().ok, "force", "failed");
			forced = true;
			state.SkipWithError("did not complete in 10 s (forced)");
			break;
		}
		state.SetIterationTime(
			std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
				.count());
		r = graft::core::patch_disable(kPatch);
		bench::must(r.ok, "disable", r.error);
		bench::must(bench::wait_complete(), "disable", "did not complete in 30 s");
	}
	stop = 1;
	for (auto &t : busy)
		t.join();
	if (!forced) {
		r = graft::core::patch_unload(kPatch);
		bench::must(r.ok, "unload", r.error);
	}
	tr::set_entry_switch(tr::EntrySwitch::call);
}
BENCHMARK(BM_BusyThreadSwitch)
	->Arg(0)
	->Arg(1)
	->Arg(2)
	->UseManualTime()
	->Unit(benchmark::kMillisecond)
	->Iterations(10);
