// SPDX-License-Identifier: MIT
// bench_fibers.cpp - ns per Boost.Context switch: libboost_context's jump_fcontext called
// directly, graft's interposer with tracking off (forwarding only), and with tracking on
// (the state hand-over of transition/context.cpp; fence mode, and the CAS fallback), measured
// alternately in one run so the added cost is a difference of figures taken under the same
// load. Target: <= 5 ns added per switch (issue 17).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "transition/context.hpp"

extern "C" {
typedef void *fcontext_t;
struct transfer_t {
	fcontext_t fctx;
	void *data;
};
// graft's interposers (transition/fcontext.cpp), linked into this benchmark.
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));
transfer_t jump_fcontext(fcontext_t to, void *vp);
}

namespace {

using make_fn = fcontext_t (*)(void *, size_t, void (*)(transfer_t));
using jump_fn = transfer_t (*)(fcontext_t, void *);

constexpr size_t kStack = 64 * 1024;
constexpr int kTrips = 1000; // round trips (2 switches each) per measurement
jump_fn g_jump;		     // what the fiber calls to switch back

// The benchmark defines the three symbols itself, so the linker drops the unneeded
// libboost_context.so: it is loaded here, into the global scope after the executable,
// where the interposers' dlsym(RTLD_NEXT) finds it as in a preloaded process.
void *boost_sym(const char *name)
{
	static void *lib = dlopen("libboost_context.so.1.74.0", RTLD_NOW | RTLD_GLOBAL);
	void *sym = lib ? dlsym(RTLD_NEXT, name) : nullptr;
	if (!sym) {
		fprintf(stderr, "bench_fibers: %s not found in libboost_context\n", name);
		exit(1);
	}
	return sym;
}

// The thread's CPU time: the three variants are compared on a shared 2-core machine,
// where wall time mostly measures the other processes.
double thread_ns()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

void pong(transfer_t t)
{
	for (;;)
		t = g_jump(t.fctx, nullptr);
}

// ns per switch for kTrips round trips with jump/make, tracking as given.
double measure(make_fn make, jump_fn jump, bool tracking, std::vector<char> &stack)
{
	graft::transition::set_context_tracking(tracking);
	g_jump = jump;
	fcontext_t f = make(stack.data() + stack.size(), stack.size(), pong);
	f = jump(f, nullptr).fctx; // the fiber is started and parked in pong
	double t0 = thread_ns();
	for (int i = 0; i < kTrips; i++)
		f = jump(f, nullptr).fctx;
	double t1 = thread_ns();
	// The fiber stays parked; its stack is reused by the next measurement, its graft
	// context (tracking on) is forgotten so no check would read it.
	if (tracking)
		graft::transition::context_free(reinterpret_cast<graft::transition::Context *>(
			uintptr_t(f) & ~uintptr_t(1)));
	return (t1 - t0) / (2.0 * kTrips);
}

} // namespace

// The mean and the smallest of a variant's measurements. On a shared machine the mean
// moves with the other processes (a hyperthread sibling's load slows every variant, not
// equally); the smallest is what the code costs when nothing else interferes.
struct Figure {
	double sum = 0, min = 1e300;
	void add(double ns)
	{
		sum += ns;
		min = ns < min ? ns : min;
	}
};

void report(benchmark::State &state, const char *name, const Figure &f, double n)
{
	state.counters[std::string(name) + "_ns"] = f.sum / n;
	state.counters[std::string(name) + "_min_ns"] = f.min;
}

static void BM_FiberSwitch(benchmark::State &state)
{
	auto real_make = reinterpret_cast<make_fn>(boost_sym("make_fcontext"));
	auto real_jump = reinterpret_cast<jump_fn>(boost_sym("jump_fcontext"));
	std::vector<char> stack(kStack);
	Figure direct, forwarded, tracked, cas;
	bool odd = false;
	for (auto _ : state) {
		direct.add(measure(real_make, real_jump, false, stack));
		forwarded.add(measure(make_fcontext, jump_fcontext, false, stack));
		if (odd) // the one measured first after the untracked one pays more: alternate
			tracked.add(measure(make_fcontext, jump_fcontext, true, stack));
		// BEGIN cas: the fallback where membarrier is refused (a CAS per switch).
		graft::transition::set_context_fence(false);
		cas.add(measure(make_fcontext, jump_fcontext, true, stack));
		graft::transition::set_context_fence(true);
		// END cas
		if (!odd)
			tracked.add(measure(make_fcontext, jump_fcontext, true, stack));
		odd = !odd;
	}
	double n = double(state.iterations());
	report(state, "direct", direct, n);
	report(state, "untracked", forwarded, n);
	report(state, "tracked", tracked, n);
	report(state, "tracked_cas", cas, n); // cas
	state.counters["added_ns"] = (tracked.sum - direct.sum) / n;
	state.counters["added_min_ns"] = tracked.min - direct.min;
	state.counters["ratio"] = tracked.sum / direct.sum;
}
BENCHMARK(BM_FiberSwitch)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
