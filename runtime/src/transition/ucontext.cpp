// SPDX-License-Identifier: MIT
// ucontext.cpp - glibc's makecontext, swapcontext and setcontext, interposed.
//
// A ucontext_t is found by its address in a lock-free table: makecontext maps it to the
// new context, swapcontext maps its first argument to the outgoing one (the state it
// saves there). A switch to a ucontext_t the table does not know (one filled by
// getcontext, which is not interposed: it returns twice) is forwarded untracked.
//
// makecontext's function is started through an entry of graft's, which passes at most
// six arguments on (glibc reads them as 64-bit words); when the function returns, the
// context is over and the switch to uc_link is tracked too.
#include <dlfcn.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdlib>

#include <cerrno>

#include <graft/graft.h>

#include "base/log.hpp"
#include "transition/context.hpp"
#include "transition/late_fibers.hpp"
#include "transition/switch_routines.hpp"

namespace graft::transition {
namespace {

using make_fn = void (*)(ucontext_t *, void (*)(), int, ...);
using swap_fn = int (*)(ucontext_t *, const ucontext_t *);
using set_fn = int (*)(const ucontext_t *);

// Never abort in the host: without glibc's definition (never seen: glibc always has
// them), the call is logged and fails as an unsupported one.
void missing_make(ucontext_t *, void (*)(), int, ...) {}
int missing_swap(ucontext_t *, const ucontext_t *)
{
	errno = ENOSYS;
	return -1;
}
int missing_set(const ucontext_t *)
{
	errno = ENOSYS;
	return -1;
}

void *real_sym(const char *name, void *missing)
{
	void *sym = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
	if (!sym)
		sym = dlsym(RTLD_NEXT, name);
	if (!sym) {
		log::printf("graft: the C library's %s not found: the call fails (ENOSYS)", name);
		return missing;
	}
	return sym;
}

} // namespace

std::atomic<uintptr_t> late_make, late_swap, late_set;

namespace {

make_fn real_make()
{
	if (uintptr_t s = late_make.load(std::memory_order_acquire))
		return reinterpret_cast<make_fn>(s);
	static make_fn fn = reinterpret_cast<make_fn>(
		real_sym("makecontext", reinterpret_cast<void *>(&missing_make)));
	return fn;
}
// The switch routines are recorded for the stack check (switch_routines.hpp) before
// their first call.
swap_fn real_swap()
{
	if (uintptr_t s = late_swap.load(std::memory_order_acquire))
		return reinterpret_cast<swap_fn>(s);
	static swap_fn fn = [] {
		void *s = real_sym("swapcontext", reinterpret_cast<void *>(&missing_swap));
		note_switch_routine(s);
		return reinterpret_cast<swap_fn>(s);
	}();
	return fn;
}
set_fn real_set()
{
	if (uintptr_t s = late_set.load(std::memory_order_acquire))
		return reinterpret_cast<set_fn>(s);
	static set_fn fn = [] {
		void *s = real_sym("setcontext", reinterpret_cast<void *>(&missing_set));
		note_switch_routine(s);
		return reinterpret_cast<set_fn>(s);
	}();
	return fn;
}

// ucontext_t address -> Context. Open addressing; a key is never removed (its value is
// cleared when its context is freed), so a probe sequence never breaks.
constexpr size_t kMapSize = 1 << 16;
constexpr size_t kProbes = 128;
struct Slot {
	std::atomic<const void *> key{nullptr};
	std::atomic<Context *> ctx{nullptr};
};
Slot g_map[kMapSize];

Slot *slot_of(const void *key, bool claim)
{
	size_t h = (uintptr_t(key) >> 4) * 0x9E3779B97F4A7C15ull >> 48;
	for (size_t i = 0; i < kProbes; i++) {
		Slot &s = g_map[(h + i) % kMapSize];
		const void *cur = s.key.load(std::memory_order_acquire);
		if (cur == key)
			return &s;
		if (cur)
			continue;
		if (!claim)
			return nullptr;
		// acq_rel: the claimed key before the value stored in it (pairs with the
		// acquire load above in another thread's probe).
		if (s.key.compare_exchange_strong(cur, key, std::memory_order_acq_rel) ||
		    cur == key)
			return &s;
	}
	return nullptr;
}

Context *find_ctx(const void *ucp)
{
	Slot *s = slot_of(ucp, false);
	return s ? s->ctx.load(std::memory_order_acquire) : nullptr;
}

// Maps ucp to ctx; false when the table is full (then the switch goes untracked).
bool map_ctx(const void *ucp, Context *ctx)
{
	Slot *s = slot_of(ucp, true);
	if (!s) {
		// Not silent: said once (keys are never removed, so the table fills with
		// distinct ucontext_t addresses over the process's life).
		static std::atomic<bool> told{false};
		if (!told.exchange(true))
			log::printf(
				"graft: the ucontext table is full (%zu addresses, or %zu probes "
				"taken): contexts from now on are not tracked, and fibers on them "
				"may mix patch versions",
				kMapSize, kProbes);
		return false;
	}
	s->ctx.store(ctx, std::memory_order_release);
	if (ctx->keys[0] != ucp && ctx->keys[1] != ucp)
		ctx->keys[ctx->keys[0] ? 1 : 0] = const_cast<void *>(ucp);
	return true;
}

void free_ctx(Context *ctx)
{
	for (void *key : ctx->keys)
		if (Slot *s = key ? slot_of(key, false) : nullptr) {
			Context *expected = ctx;
			s->ctx.compare_exchange_strong(expected, nullptr,
						       std::memory_order_acq_rel);
		}
	context_free(ctx);
}

uintptr_t stack_pointer()
{
	uintptr_t sp;
	asm volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

using entry6 = void (*)(long, long, long, long, long, long);

// A new context's first instructions; the context ends when its function returns.
__attribute__((no_sanitize("address"))) void entry()
{
	context_switch_in();
	Context *self = context_running();
	const long *a = self->args;
	reinterpret_cast<entry6>(self->fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
	self = context_running(); // it may have migrated: read the TLS again
	auto *link = static_cast<const ucontext_t *>(self->link);
	Context *to = link ? find_ctx(link) : nullptr;
	if (!to)
		return; // to glibc: uc_link (untracked) or exit
	context_switch_out(to, 0, 0, true);
	free_ctx(self); // its stack is not touched by graft any more
	real_set()(link);
}

} // namespace
} // namespace graft::transition

using namespace graft::transition;

extern "C" GRAFT_API void makecontext(ucontext_t *ucp, void (*fn)(), int argc, ...)
{
	long a[6] = {};
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc && i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	Context *c = nullptr;
	if (context_tracking()) {
		auto lo = uintptr_t(ucp->uc_stack.ss_sp);
		c = context_alloc(lo, lo + ucp->uc_stack.ss_size);
	}
	if (c && map_ctx(ucp, c)) {
		c->fn = fn;
		for (int i = 0; i < 6; i++)
			c->args[i] = a[i];
		c->link = ucp->uc_link;
		real_make()(ucp, entry, 0);
		c->sp.store(uintptr_t(ucp->uc_mcontext.gregs[REG_RSP]), std::memory_order_relaxed);
		return;
	}
	if (c)
		context_free(c);
	real_make()(ucp, fn, argc, a[0], a[1], a[2], a[3], a[4], a[5]);
}

extern "C" GRAFT_API __attribute__((no_sanitize("address"))) int swapcontext(ucontext_t *oucp,
									     const ucontext_t *ucp)
{
	swap_fn swap = real_swap();
	Context *to = context_tracking() ? find_ctx(ucp) : nullptr;
	Context *from = to ? context_current() : nullptr;
	if (!from || from == to || !map_ctx(oucp, from))
		return swap(oucp, ucp);
	context_switch_out(to, stack_pointer(), uintptr_t(__builtin_return_address(0)));
	int ret = swap(oucp, ucp);
	context_switch_in();
	return ret;
}

extern "C" GRAFT_API __attribute__((no_sanitize("address"))) int setcontext(const ucontext_t *ucp)
{
	set_fn set = real_set();
	Context *to = context_tracking() ? find_ctx(ucp) : nullptr;
	Context *from = to ? context_current() : nullptr;
	if (!from || from == to)
		return set(ucp);
	// The running context is left where it stands: it stays suspended (and checked)
	// until a ucontext_t that holds it is resumed or it is freed with its makecontext.
	context_switch_out(to, stack_pointer(), uintptr_t(__builtin_return_address(0)));
	return set(ucp);
}

// Hidden aliases: their addresses are the interposers themselves, whatever the global
// scope binds the exported names to (libc's, when libgraft.so was loaded late).
extern "C" {
__attribute__((visibility("hidden"), alias("makecontext"))) void
graft_uc_make(ucontext_t *, void (*)(), int, ...) noexcept;
__attribute__((visibility("hidden"), alias("swapcontext"))) int
graft_uc_swap(ucontext_t *, const ucontext_t *) noexcept;
__attribute__((visibility("hidden"), alias("setcontext"))) int
graft_uc_set(const ucontext_t *) noexcept;
}

void graft::transition::ucontext_interposers(uintptr_t out[3])
{
	out[0] = reinterpret_cast<uintptr_t>(&graft_uc_make);
	out[1] = reinterpret_cast<uintptr_t>(&graft_uc_swap);
	out[2] = reinterpret_cast<uintptr_t>(&graft_uc_set);
}
