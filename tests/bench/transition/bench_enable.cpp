// SPDX-License-Identifier: MIT
// bench_enable.cpp - time from enable to "patching complete" by patch size (10, 100,
// 1,000 functions) and idle thread count (0, 16, 64, 256, and 1,024 for 1,000
// functions; blocked in a condition wait). Targets (issue 17): 1,000 functions with
// 64 / 256 / 1,024 threads <= 4 / 8 / 30 ms.
#include <benchmark/benchmark.h>

#include <time.h>

#include <chrono>
#include <string>

#include "bench_support.hpp"
#include "core/api.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from, Clock::time_point to)
{
	return std::chrono::duration<double>(to - from).count();
}

// CPU time of the calling thread, which runs patch_enable and with it the first round
// of the transition (on a loaded machine the wall time mostly measures the wait for a
// CPU).
double thread_cpu_seconds()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// One enable, timed until complete; the disable after it is not timed. *started gets
// the time patch_enable took (entries installed, transition started), *cpu its CPU.
double enable_once(const std::string &name, double *started, double *cpu)
{
	auto t0 = Clock::now();
	double c0 = thread_cpu_seconds();
	auto r = graft::core::patch_enable(name);
	*cpu += thread_cpu_seconds() - c0;
	auto t1 = Clock::now();
	bench::must(r.ok, "enable " + name, r.error);
	bench::must(bench::wait_complete(), "enable " + name, "did not complete in 30 s");
	double s = seconds(t0, Clock::now());
	*started += seconds(t0, t1);
	r = graft::core::patch_disable(name);
	bench::must(r.ok, "disable " + name, r.error);
	bench::must(bench::wait_complete(), "disable " + name, "did not complete in 30 s");
	return s;
}

} // namespace

static void BM_EnableToComplete(benchmark::State &state)
{
	bench::runtime_init();
	std::string name = "bench-tr-gen" + std::to_string(state.range(0));
	bench::IdleThreads idle(int(state.range(1)));
	auto r = graft::core::patch_load(bench::module(name), false);
	bench::must(r.ok, "load " + name, r.error);
	double started = 0, cpu = 0;
	for (auto _ : state)
		state.SetIterationTime(enable_once(name, &started, &cpu));
	r = graft::core::patch_unload(name);
	bench::must(r.ok, "unload " + name, r.error);
	// How much of the time the enable call itself took (the rest: switching threads).
	state.counters["start_ms"] = 1e3 * started / double(state.iterations());
	state.counters["start_cpu_ms"] = 1e3 * cpu / double(state.iterations());
	state.counters["functions"] = double(state.range(0));
	state.counters["threads"] = double(state.range(1));
}
BENCHMARK(BM_EnableToComplete)
	->ArgsProduct({{10, 100, 1000}, {0, 16, 64, 256}})
	->Args({1000, 1024})
	->UseManualTime()
	->Unit(benchmark::kMillisecond)
	->MinTime(0.5);

BENCHMARK_MAIN();
