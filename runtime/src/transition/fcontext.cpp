// SPDX-License-Identifier: MIT
// fcontext.cpp - Boost.Context's make_fcontext, jump_fcontext and ontop_fcontext,
// interposed (the preloaded runtime defines them; the program's calls through
// libboost_context.so's PLT reach these, which forward with dlsym(RTLD_NEXT)).
//
// With tracking on, the fcontext_t values the program sees are graft's handles: a
// Context pointer with bit 0 set (a real fcontext_t is a stack pointer, never odd). The
// real fcontext_t of a suspended context is kept in its Context. So a jump finds its
// target's Context in O(1), and the context a resumed side receives in transfer_t.fctx
// (the one that just suspended) is translated to its handle. A tracked jump switches
// with the real ontop_fcontext and resumes through fcontext_resume.S, which returns
// into the program without a mispredicted ret.
//
// A program that links Boost.Context statically calls its own copy: fcontext_static.cpp
// redirects that copy's entries here at start-up.
#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <graft/graft.h>

#include "base/log.hpp"
#include "transition/context.hpp"
#include "transition/switch_routines.hpp"
#include "transition/fcontext_static.hpp"

extern "C" {
typedef void *fcontext_t;
struct transfer_t {
	fcontext_t fctx;
	void *data;
};
// The interposers (defined below), declared for real_sym, which skips them.
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));
transfer_t jump_fcontext(fcontext_t to, void *vp);
transfer_t ontop_fcontext(fcontext_t to, void *vp, transfer_t (*fn)(transfer_t));
// fcontext_resume.S: where a tracked jump_fcontext lands; it calls graft_fc_arrive.
__attribute__((visibility("hidden"))) transfer_t graft_fc_resume(transfer_t t);
__attribute__((visibility("hidden"))) transfer_t graft_fc_arrive(fcontext_t fctx, void *data);
__attribute__((visibility("hidden"))) extern const char graft_fc_resume_end[];
}

namespace graft::transition {
namespace {

using make_fn = fcontext_t (*)(void *, size_t, void (*)(transfer_t));
using jump_fn = transfer_t (*)(fcontext_t, void *);
using ontop_fn = transfer_t (*)(fcontext_t, void *, transfer_t (*)(transfer_t));

int collect_paths(dl_phdr_info *info, size_t, void *data)
{
	auto *paths = static_cast<std::vector<std::string> *>(data);
	try {
		if (info->dlpi_name && info->dlpi_name[0])
			paths->emplace_back(info->dlpi_name);
		return 0;
	} catch (...) {
		return 1; // out of memory: stop; no exception may unwind through the loader
	}
}

// A Boost.Context outside the global scope: a library loaded with RTLD_LOCAL whose
// dependency is libboost_context.so calls it through its PLT, which binds to the
// preloaded runtime's definition, and RTLD_NEXT cannot see the real one. Each loaded
// object's own scope is searched (dlopen RTLD_NOLOAD + dlsym); own (this interposer) is
// skipped. Not under the loader's locks: dl_iterate_phdr only collects the names.
void *find_in_local_scopes(const char *name, const void *own)
{
	std::vector<std::string> paths;
	dl_iterate_phdr(collect_paths, &paths);
	for (const std::string &path : paths) {
		void *h = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue;
		void *sym = dlsym(h, name);
		dlclose(h);
		if (sym && sym != own)
			return sym;
	}
	return nullptr;
}

// Never abort in the host: without any definition (never seen: the program's call came
// from code linked against one), the call is logged and does nothing.
fcontext_t missing_make(void *, size_t, void (*)(transfer_t))
{
	return nullptr;
}
transfer_t missing_jump(fcontext_t, void *)
{
	return transfer_t{nullptr, nullptr};
}
transfer_t missing_ontop(fcontext_t, void *, transfer_t (*)(transfer_t))
{
	return transfer_t{nullptr, nullptr};
}

void *real_sym(const char *name, const void *own, void *missing)
{
	void *sym = dlsym(RTLD_NEXT, name);
	if (!sym)
		sym = find_in_local_scopes(name, own);
	if (!sym) {
		log::printf("graft: Boost.Context's %s not found for an interposed call: the "
			    "call does nothing",
			    name);
		return missing;
	}
	return sym;
}

// A statically linked copy redirected to us (fcontext_static.cpp) wins: its callers
// reach us through its own entries. Acquire pairs with the release before the install.
make_fn real_make()
{
	if (uintptr_t s = static_make.load(std::memory_order_acquire))
		return reinterpret_cast<make_fn>(s);
	static make_fn fn = reinterpret_cast<make_fn>(
		real_sym("make_fcontext", reinterpret_cast<const void *>(&make_fcontext),
			 reinterpret_cast<void *>(&missing_make)));
	return fn;
}
jump_fn real_jump()
{
	if (uintptr_t s = static_jump.load(std::memory_order_acquire))
		return reinterpret_cast<jump_fn>(s);
	static jump_fn fn = [] {
		void *s = real_sym("jump_fcontext", reinterpret_cast<const void *>(&jump_fcontext),
				   reinterpret_cast<void *>(&missing_jump));
		note_switch_routine(s); // for the stack check (switch_routines.hpp)
		return reinterpret_cast<jump_fn>(s);
	}();
	return fn;
}
__attribute__((noinline)) ontop_fn resolve_ontop()
{
	void *s = real_sym("ontop_fcontext", reinterpret_cast<const void *>(&ontop_fcontext),
			   reinterpret_cast<void *>(&missing_ontop));
	note_switch_routine(s);
	return reinterpret_cast<ontop_fn>(s);
}
// Inline: on every tracked jump (the resolution is out of line, once).
inline ontop_fn real_ontop()
{
	if (uintptr_t s = static_ontop.load(std::memory_order_acquire))
		return reinterpret_cast<ontop_fn>(s);
	static ontop_fn fn = resolve_ontop();
	return fn;
}

// The stub a tracked jump resumes through holds the resumed side's return address in a
// register for two instructions: a thread interrupted in it is held, as in Boost's own
// routines (switch_routines.hpp). Before the first tracked jump: every handle a jump
// can target comes from a tracked make_fcontext.
void note_resume_stub()
{
	static const bool noted = [] {
		auto stub = reinterpret_cast<uintptr_t>(&graft_fc_resume);
		note_switch_routine(reinterpret_cast<const void *>(stub),
				    reinterpret_cast<uintptr_t>(graft_fc_resume_end) - stub);
		return true;
	}();
	(void)noted;
}

bool is_handle(fcontext_t f)
{
	return (uintptr_t(f) & 1) != 0;
}
Context *ctx_of(fcontext_t f)
{
	return reinterpret_cast<Context *>(uintptr_t(f) & ~uintptr_t(1));
}
fcontext_t handle_of(Context *c)
{
	return reinterpret_cast<fcontext_t>(uintptr_t(c) | 1);
}

uintptr_t stack_pointer()
{
	uintptr_t sp;
	asm volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

// On the incoming side of a switch: the context that suspended receives its real
// fcontext_t and the program its handle. Taken once (an ontop function already did it).
transfer_t translate(transfer_t t)
{
	if (Context *from = context_switch_in()) {
		from->real = t.fctx;
		t.fctx = handle_of(from);
	}
	return t;
}

// A new context's first instructions: take the switch, run the program's function.
void entry(transfer_t t)
{
	t = translate(t);
	auto fn = reinterpret_cast<void (*)(transfer_t)>(context_running()->fn);
	fn(t); // Boost's entry functions never return (they end with ontop_fcontext)
}

struct Ontop {
	transfer_t (*fn)(transfer_t);
	void *data;
};

// Runs on top of the target: the program's function sees handles, as everywhere.
transfer_t ontop_entry(transfer_t t)
{
	Ontop o = *static_cast<Ontop *>(t.data);
	Context *from = context_switch_in();
	if (from) {
		from->real = t.fctx;
		t.fctx = handle_of(from);
	}
	t.data = o.data;
	transfer_t r = o.fn(t);
	// An ontop function that drops the suspended context's handle ends it: Boost's
	// fiber_exit / context_exit free its stack and return a null fcontext_t.
	if (from && !r.fctx)
		context_free(from);
	return r;
}

} // namespace
} // namespace graft::transition

using namespace graft::transition;

extern "C" GRAFT_API fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t))
{
	if (!context_tracking())
		return real_make()(sp, size, fn);
	note_resume_stub();
	Context *c = context_alloc(uintptr_t(sp) - size, uintptr_t(sp));
	if (!c)
		return nullptr; // as Boost on failure: the caller's allocation failed
	c->fn = reinterpret_cast<void (*)()>(fn);
	c->real = real_make()(sp, size, entry);
	c->sp.store(uintptr_t(c->real), std::memory_order_relaxed);
	return handle_of(c);
}

// A tracked jump is an ontop_fcontext whose function is graft_fc_resume (a jump that
// runs code on the incoming stack before the resumed side returns), called last so that
// the compiler makes it a tail call: the resumed side then returns from the stub
// straight into the program, without a mispredicted ret (fcontext_resume.S). Without
// the tail call (-O0) the stub returns here, and this returns the same transfer.
extern "C" GRAFT_API __attribute__((no_sanitize("address"))) transfer_t jump_fcontext(fcontext_t to,
										      void *vp)
{
	if (!context_tracking() || !is_handle(to))
		return real_jump()(to, vp);
	Context *c = ctx_of(to);
	ontop_fn ontop = real_ontop();
	context_switch_out(c, stack_pointer(), uintptr_t(__builtin_return_address(0)));
	return ontop(c->real, vp, graft_fc_resume);
}

// On the incoming stack of a tracked jump (from graft_fc_resume): ends the switch.
extern "C" __attribute__((no_sanitize("address"))) transfer_t graft_fc_arrive(fcontext_t fctx,
									      void *data)
{
	return translate(transfer_t{fctx, data});
}

extern "C" GRAFT_API __attribute__((no_sanitize("address"))) transfer_t
ontop_fcontext(fcontext_t to, void *vp, transfer_t (*fn)(transfer_t))
{
	if (!context_tracking() || !is_handle(to))
		return real_ontop()(to, vp, fn);
	Context *c = ctx_of(to);
	ontop_fn ontop = real_ontop();
	Ontop o{fn, vp};
	context_switch_out(c, stack_pointer(), uintptr_t(__builtin_return_address(0)));
	transfer_t t = ontop(c->real, &o, ontop_entry);
	return translate(t);
}

// Hidden aliases: the interposers themselves, even where the global scope binds the
// exported names to libboost_context.so's (libgraft.so loaded late, by graft attach).
extern "C" {
__attribute__((visibility("hidden"), alias("make_fcontext"))) fcontext_t
graft_fc_make(void *, size_t, void (*)(transfer_t));
__attribute__((visibility("hidden"), alias("jump_fcontext"))) transfer_t graft_fc_jump(fcontext_t,
										       void *);
__attribute__((visibility("hidden"), alias("ontop_fcontext"))) transfer_t
graft_fc_ontop(fcontext_t, void *, transfer_t (*)(transfer_t));
}

void graft::transition::fcontext_interposers(uintptr_t out[3])
{
	out[0] = reinterpret_cast<uintptr_t>(&graft_fc_make);
	out[1] = reinterpret_cast<uintptr_t>(&graft_fc_jump);
	out[2] = reinterpret_cast<uintptr_t>(&graft_fc_ontop);
}
