// SPDX-License-Identifier: MIT
// bench_redirect.cpp - cost per call of an empty function: direct, unpatched detour
// target, patched through a detour stub (2 jumps), a patchable entry (2 jumps), direct
// mode (1 jump), patched through the core's function stack in the steady state (which
// chooses direct mode itself when the replacement is within reach: issue 17) and the
// transition thunk with a trivial select hook.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "arch/x86_64/site.hpp"
#include "core/func_stack.hpp"

extern "C" {
void bench_empty();
void bench_unpatched();
void bench_detour();
void bench_direct();
void bench_transition();
void bench_patchable();
void bench_core();
extern char bench_detour_end[], bench_direct_end[], bench_transition_end[], bench_patchable_end[],
	bench_core_end[];
}

namespace {

using Fn = void (*)();
using graft::arch::Site;

uintptr_t addr(const void *p)
{
	return reinterpret_cast<uintptr_t>(p);
}
uintptr_t addr(Fn f)
{
	return reinterpret_cast<uintptr_t>(f);
}

uintptr_t trivial_hook(void *, graft::arch::Site *, uintptr_t)
{
	return addr(bench_empty);
}

Site *patch(Fn f, const char *end, const char *name, uintptr_t target)
{
	std::string why;
	Site *s = graft::arch::site_prepare(addr(f), addr(end) - addr(f), name, &why);
	if (s) {
		graft::arch::site_set_target(s, target);
		if (!graft::arch::sites_install(&s, 1, &why))
			s = nullptr;
	}
	if (!s)
		std::fprintf(stderr, "cannot patch %s: %s\n", name, why.c_str());
	return s;
}

void run(benchmark::State &state, Fn f)
{
	Fn volatile fp = f;
	for (auto _ : state)
		fp();
}

// Each patched case patches its function once, before its first measurement.
Site *detour_site()
{
	static Site *s = patch(bench_detour, bench_detour_end, "bench_detour", addr(bench_empty));
	return s;
}
Site *patchable_site()
{
	static Site *s =
		patch(bench_patchable, bench_patchable_end, "bench_patchable", addr(bench_empty));
	return s;
}
Site *direct_site()
{
	static Site *s = [] {
		Site *d = patch(bench_direct, bench_direct_end, "bench_direct", addr(bench_empty));
		std::string why;
		if (d && !graft::arch::site_set_direct(d, addr(bench_empty), &why)) {
			std::fprintf(stderr, "direct mode: %s\n", why.c_str());
			d = nullptr;
		}
		return d;
	}();
	return s;
}
Site *transition_site()
{
	static Site *s = [] {
		Site *t = patch(bench_transition, bench_transition_end, "bench_transition", 0);
		if (t) {
			graft::arch::set_select_hook(trivial_hook);
			graft::arch::site_set_target(t, graft::arch::site_transition(t));
		}
		return t;
	}();
	return s;
}

// A one-function patch object, enabled and complete, as the core holds it.
Site *core_site()
{
	static graft::core::Object obj;
	static Site *s = [] {
		std::string why;
		graft::core::Func f;
		f.name = "bench_core";
		f.old_addr = addr(bench_core);
		f.old_size = addr(bench_core_end) - addr(bench_core);
		f.new_addr = addr(bench_empty);
		f.site = graft::arch::site_prepare(f.old_addr, f.old_size, "bench_core", &why);
		obj.funcs.push_back(f);
		if (!f.site || !graft::core::patch_object(obj, &why)) {
			std::fprintf(stderr, "cannot patch bench_core: %s\n", why.c_str());
			return static_cast<Site *>(nullptr);
		}
		if (!graft::arch::site_direct(f.site))
			std::fprintf(stderr,
				     "bench_core: the core left the stub path on (2 jumps)\n");
		return f.site;
	}();
	return s;
}

void run_patched(benchmark::State &state, Site *s, Fn f)
{
	if (!s) {
		state.SkipWithError("cannot patch");
		return;
	}
	run(state, f);
}

void BM_direct_call(benchmark::State &s)
{
	run(s, bench_empty);
}
void BM_unpatched_target(benchmark::State &s)
{
	run(s, bench_unpatched);
}
void BM_detour_stub(benchmark::State &s)
{
	run_patched(s, detour_site(), bench_detour);
}
void BM_patchable_entry(benchmark::State &s)
{
	run_patched(s, patchable_site(), bench_patchable);
}
void BM_direct_mode(benchmark::State &s)
{
	run_patched(s, direct_site(), bench_direct);
}
void BM_core_steady_state(benchmark::State &s)
{
	run_patched(s, core_site(), bench_core);
}
void BM_transition_thunk(benchmark::State &s)
{
	run_patched(s, transition_site(), bench_transition);
}

} // namespace

BENCHMARK(BM_direct_call);
BENCHMARK(BM_unpatched_target);
BENCHMARK(BM_detour_stub);
BENCHMARK(BM_patchable_entry);
BENCHMARK(BM_direct_mode);
BENCHMARK(BM_core_steady_state);
BENCHMARK(BM_transition_thunk);

BENCHMARK_MAIN();
