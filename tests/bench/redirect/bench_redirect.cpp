// SPDX-License-Identifier: MIT
// bench_redirect.cpp - cost per call of an empty function: direct, unpatched detour
// target, patched through a detour stub (2 jumps), a patchable entry (2 jumps), direct
// mode (1 jump), patched through the core's function stack in the steady state (which
// chooses direct mode itself when the replacement is within reach: issue 17) and the
// transition thunk with a trivial select hook. BM_module_*: a function of this PIE
// executable replaced by a function of a real patch module, loaded by a plain dlopen
// (terabytes away: the stub path, as before issue 17's placement) and by the runtime's
// placement (within 2 GiB: direct mode), in one run.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdio>
#include <string>

#include "arch/x86_64/site.hpp"
#include "core/func_stack.hpp"
#include "core/module_placement.hpp"

extern "C" {
void bench_empty();
void bench_unpatched();
void bench_detour();
void bench_direct();
void bench_transition();
void bench_patchable();
void bench_core();
void bench_far();
void bench_near();
extern char bench_detour_end[], bench_direct_end[], bench_transition_end[], bench_patchable_end[],
	bench_core_end[], bench_far_end[], bench_near_end[];
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

// A one-function patch object (f replaced by repl), enabled and complete, as the core
// holds it. nullptr when it cannot be patched.
Site *core_patch(graft::core::Object &obj, Fn f, const char *end, const char *name, uintptr_t repl)
{
	std::string why;
	graft::core::Func func;
	func.name = name;
	func.old_addr = addr(f);
	func.old_size = addr(end) - addr(f);
	func.new_addr = repl;
	func.site = graft::arch::site_prepare(func.old_addr, func.old_size, name, &why);
	obj.funcs.push_back(func);
	if (!repl || !func.site || !graft::core::patch_object(obj, &why)) {
		std::fprintf(stderr, "cannot patch %s: %s\n", name, why.c_str());
		return nullptr;
	}
	return func.site;
}

Site *core_site()
{
	static graft::core::Object obj;
	static Site *s = [] {
		Site *c = core_patch(obj, bench_core, bench_core_end, "bench_core",
				     addr(bench_empty));
		if (c && !graft::arch::site_direct(c))
			std::fprintf(stderr,
				     "bench_core: the core left the stub path on (2 jumps)\n");
		return c;
	}();
	return s;
}

// The module's empty replacement, the module loaded by open.
uintptr_t module_function(void *handle, const char *path)
{
	void *f = handle ? dlsym(handle, "bench_module_empty") : nullptr;
	if (!f)
		std::fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
	return addr(f);
}

// Loaded where a plain dlopen puts it: the stub path (2 jumps), as before placement.
Site *far_site()
{
	static graft::core::Object obj;
	static Site *s = core_patch(
		obj, bench_far, bench_far_end, "bench_far",
		module_function(dlopen(BENCH_MODULE_FAR, RTLD_NOW | RTLD_LOCAL), BENCH_MODULE_FAR));
	return s;
}

// The placed module's replacement, called directly: the baseline of both module cases.
uintptr_t near_function = 0;

// Placed near this executable by the runtime: direct mode (1 jump).
Site *near_site()
{
	static graft::core::Object obj;
	static Site *s = [] {
		void *h = graft::core::dlopen_placed(BENCH_MODULE_NEAR, RTLD_NOW | RTLD_LOCAL);
		near_function = module_function(h, BENCH_MODULE_NEAR);
		Site *n = core_patch(obj, bench_near, bench_near_end, "bench_near", near_function);
		if (n && !graft::arch::site_direct(n))
			std::fprintf(stderr,
				     "bench_near: the placed module is not in direct mode\n");
		return n;
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
void BM_module_call_direct(benchmark::State &s)
{
	Site *placed = near_site(); // sets near_function
	run_patched(s, placed, reinterpret_cast<Fn>(near_function));
}
void BM_module_far_via_stub(benchmark::State &s)
{
	run_patched(s, far_site(), bench_far);
}
void BM_module_placed_direct(benchmark::State &s)
{
	run_patched(s, near_site(), bench_near);
}
// dlopen + dlclose of a module that patches only this executable: as before, and placed
// (the descriptor read from the file, /proc/self/maps, the reservations and their
// release), in one run.
void load_and_close(benchmark::State &state, bool placed)
{
	for (auto _ : state) {
		void *h = placed ? graft::core::dlopen_placed(BENCH_MODULE_LOAD,
							      RTLD_NOW | RTLD_LOCAL)
				 : dlopen(BENCH_MODULE_LOAD, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			state.SkipWithError("cannot load");
			return;
		}
		dlclose(h);
	}
}
void BM_module_load_plain(benchmark::State &s)
{
	load_and_close(s, false);
}
void BM_module_load_placed(benchmark::State &s)
{
	load_and_close(s, true);
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
BENCHMARK(BM_module_call_direct);
BENCHMARK(BM_module_far_via_stub);
BENCHMARK(BM_module_placed_direct);
BENCHMARK(BM_transition_thunk);
BENCHMARK(BM_module_load_plain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_module_load_placed)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
