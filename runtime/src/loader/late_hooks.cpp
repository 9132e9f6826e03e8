// SPDX-License-Identifier: MIT
// late_hooks.cpp - attach mode (`graft attach`): libgraft.so was dlopened RTLD_LOCAL
// into a running process, so the pthread_create and dlopen it exports interpose
// nothing (late definitions never win symbol lookup, and bound GOT entries are never
// re-resolved). Instead libc's own entries are redirected, with graft's entry patching
// (a site per function, outside any patch's function stack, as fcontext_static.cpp),
// to the wrappers below, which reach libc's code through the sites' relocated entries.
// dlopen and dlmopen hold the load gate around the loader, whose breakpoint
// (debug_state.cpp) patches what they load before its constructors.
// What each mode sees is tabled in docs/architecture.md.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "arch/x86_64/site.hpp"
#include "core/library.hpp"
#include "base/log.hpp"
#include "loader/late.hpp"
#include "loader/loader.hpp"
#include "symbols/symbols.hpp"
#include "transition/fcontext_static.hpp"
#include "transition/late_fibers.hpp"
#include "transition/switch_routines.hpp"
#include "transition/thread_boot.hpp"
#include "transition/thread_state.hpp"

namespace graft::loader {
namespace {

using CreateFn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

// The relocated entries of libc's functions; set before the entries jump (release),
// read by the wrappers (acquire).
std::atomic<uintptr_t> libc_create{0}, libc_dlopen{0}, libc_dlmopen{0};

// Per thread: a dlopen made while this thread is inside the wrapper (pinning a library,
// a constructor's dlopen) goes straight through, under the outer load's gate.
thread_local bool in_dlopen;

// As transition/thread_create.cpp: a thread created during a transition starts in its
// creator's state (the handoff: transition/thread_boot.hpp).
int late_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			void *arg)
{
	auto real = reinterpret_cast<CreateFn>(libc_create.load(std::memory_order_acquire));
	transition::Published p = transition::published();
	void *handoff = transition::boot_prepare(start, arg, p.gen, transition::current_state(p));
	int ret = real(thread, attr, transition::boot_start, handoff);
	if (ret != 0)
		transition::boot_cancel(handoff);
	return ret;
}

// A refusal cannot fail the load here (dlerror is not wrapped): the library stays,
// unpatched by that patch.
void log_refusal(const std::string &why)
{
	log::printf("graft: a library was loaded although refused (attach mode cannot fail a "
		    "dlopen): %s",
		    why.c_str());
}

// A load into the program's namespace: patch_mutex before the loader's locks
// (core/library.hpp), so that the loader's breakpoint (debug_state.cpp) patches the new
// objects before their constructors, under this gate.
template <typename Load> void *gated_load(const char *file, Load load)
{
	in_dlopen = true;
	// The snapshot under the gate: no other gated load or unload can change the list
	// between it and this load.
	core::load_gate_enter();
	Loaded before;
	bool track = true;
	try {
		before = snapshot();
	} catch (...) {
		track = false; // out of memory: the load goes on unpatched
	}
	if (track)
		debug_state_begin(&before);
	void *handle = load();
	after_load_pins();
	try {
		// What the breakpoint did not see (no hook, a load inside glibc since).
		if (handle && track)
			patch_new_objects(before, log_refusal);
	} catch (...) {
		log::printf("graft: out of memory while '%s' loaded: not patched", file);
	}
	core::load_gate_exit();
	in_dlopen = false;
	return handle;
}

// Reached by the jump at libc's dlopen entry, so its return address is the
// application's: the real dlopen is called as from there (dlopen_with), as the
// preloaded wrapper does.
__attribute__((noinline)) void *late_dlopen(const char *file, int mode)
{
	const void *caller = __builtin_return_address(0);
	auto real = reinterpret_cast<void *>(libc_dlopen.load(std::memory_order_acquire));
	// RTLD_NOLOAD loads nothing, so it needs no gate: graft's own pin (pin_library,
	// from enable under patch_mutex) reaches here through libc's redirected entry, and
	// took the gate it held (a deadlock seen with apply --all --attach).
	if (in_dlopen || !file || (mode & RTLD_NOLOAD))
		return dlopen_with(real, file, mode, caller);
	return gated_load(file, [&] { return dlopen_with(real, file, mode, caller); });
}

// dlmopen into the program's namespace loads as dlopen does; other namespaces are not
// patched (as with the audit module).
__attribute__((noinline)) void *late_dlmopen(Lmid_t lmid, const char *file, int mode)
{
	const void *caller = __builtin_return_address(0);
	auto real = reinterpret_cast<void *>(libc_dlmopen.load(std::memory_order_acquire));
	if (in_dlopen || !file || lmid != LM_ID_BASE || (mode & RTLD_NOLOAD))
		return dlmopen_with(real, lmid, file, mode, caller);
	return gated_load(file, [&] { return dlmopen_with(real, lmid, file, mode, caller); });
}

} // namespace

// The global scope's definition of name (libgraft.so is not in it) and its size.
bool find_symbol(const char *name, uintptr_t *addr, size_t *size)
{
	void *sym = dlsym(RTLD_DEFAULT, name);
	Dl_info info;
	void *extra = nullptr;
	if (!sym || !dladdr1(sym, &info, &extra, RTLD_DL_SYMENT) || !extra)
		return false;
	const auto *entry = static_cast<const ElfW(Sym) *>(extra);
	*addr = reinterpret_cast<uintptr_t>(sym);
	*size = entry->st_size;
	return true;
}

namespace {

// The stack check must not unwind a thread inside a switch routine (switch_routines.hpp):
// the redirected originals' bodies, where an interrupted switch runs.
void note_switch_routines(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t addr = 0;
		size_t size = 0;
		if (strstr(names[i], "make") != names[i] && find_symbol(names[i], &addr, &size))
			transition::note_switch_routine(reinterpret_cast<const void *>(addr), size);
	}
}

// Redirects the n functions named to `to`, all or none (one batch): each original's
// relocated entry is published before its entry jumps, so a call that reaches a wrapper
// finds the original's code.
bool redirect_all(const char *const *names, const uintptr_t *to,
		  std::atomic<uintptr_t> *const *originals, size_t n, std::string *why)
{
	arch::Site *sites[3];
	for (size_t i = 0; i < n; i++) {
		uintptr_t addr = 0;
		size_t size = 0;
		if (!find_symbol(names[i], &addr, &size)) {
			*why = std::string("cannot find ") + names[i];
			return false;
		}
		if (!(sites[i] = arch::site_prepare(addr, size, names[i], why)))
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		originals[i]->store(arch::site_original(sites[i]), std::memory_order_release);
		arch::site_set_target(sites[i], to[i]);
	}
	if (arch::sites_install(sites, n, why))
		return true;
	for (size_t i = 0; i < n; i++)
		originals[i]->store(0, std::memory_order_release);
	return false;
}

bool redirect(const char *name, uintptr_t to, std::atomic<uintptr_t> *original, std::string *why)
{
	return redirect_all(&name, &to, &original, 1, why);
}

// Fibers: libc's ucontext functions, and a Boost.Context shared library already loaded
// (not one linked into the program: fcontext_redirect_static did that), redirected to
// the interposers. Fibers made before the attach stay untracked (documented).
void redirect_fibers()
{
	static const char *const uc_names[3] = {"makecontext", "swapcontext", "setcontext"};
	std::atomic<uintptr_t> *const uc_orig[3] = {&transition::late_make, &transition::late_swap,
						    &transition::late_set};
	uintptr_t to[3];
	std::string why;
	transition::ucontext_interposers(to);
	if (!redirect_all(uc_names, to, uc_orig, 3, &why))
		log::printf("graft: ucontext fibers are not tracked (%s)", why.c_str());
	note_switch_routines(uc_names, 3);
	uintptr_t addr = 0;
	size_t size = 0;
	if (transition::static_make.load(std::memory_order_acquire) ||
	    !find_symbol("make_fcontext", &addr, &size))
		return;
	static const char *const fc_names[3] = {"make_fcontext", "jump_fcontext", "ontop_fcontext"};
	std::atomic<uintptr_t> *const fc_orig[3] = {
		&transition::static_make, &transition::static_jump, &transition::static_ontop};
	transition::fcontext_interposers(to);
	if (redirect_all(fc_names, to, fc_orig, 3, &why))
		log::printf("graft: tracking the Boost.Context of the program's libraries");
	else
		log::printf("graft: Boost.Context fibers are not tracked (%s)", why.c_str());
	note_switch_routines(fc_names, 3);
}

} // namespace

bool late_hooks_install(std::string *why)
{
	if (!redirect("pthread_create", reinterpret_cast<uintptr_t>(late_pthread_create),
		      &libc_create, why))
		return false;
	if (!redirect("dlopen", reinterpret_cast<uintptr_t>(late_dlopen), &libc_dlopen, why))
		return false;
	if (!redirect("dlmopen", reinterpret_cast<uintptr_t>(late_dlmopen), &libc_dlmopen, why))
		return false;
	redirect_fibers();
	std::string no_hook;
	if (!debug_state_hook_install(&no_hook))
		log::printf("graft: %s: libraries loaded from now on are patched when dlopen "
			    "returns, after their constructors",
			    no_hook.c_str());
	return true;
}

} // namespace graft::loader
