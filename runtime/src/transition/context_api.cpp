// SPDX-License-Identifier: MIT
// context_api.cpp - graft_context_*: the public API for schedulers that switch stacks
// with their own code (see docs/writing-patches.md), on the same registry as the
// Boost.Context and ucontext interposers.
#include <graft/graft.h>

#include "transition/context.hpp"

using namespace graft::transition;

namespace {

Context *ctx_of(struct graft_context *c)
{
	return reinterpret_cast<Context *>(c);
}

struct graft_context *api_of(Context *c)
{
	return reinterpret_cast<struct graft_context *>(c);
}

} // namespace

extern "C" GRAFT_API struct graft_context *graft_context_register(void *stack, size_t size)
{
	auto lo = uintptr_t(stack);
	if (!context_tracking()) // a handle the other calls ignore
		return api_of(context_alloc_untracked());
	Context *c = context_alloc(lo, lo + size);
	if (c)
		c->sp.store(lo + size, std::memory_order_relaxed); // nothing on it yet
	return api_of(c);
}

extern "C" GRAFT_API struct graft_context *graft_context_current(void)
{
	return context_tracking() ? api_of(context_current()) : nullptr;
}

extern "C" GRAFT_API __attribute__((noinline, no_sanitize("address"))) void
graft_context_switch(struct graft_context *to)
{
	if (!to || !context_tracking() || ctx_of(to) == context_running())
		return;
	uintptr_t sp;
	asm volatile("mov %%rsp, %0" : "=r"(sp));
	// The scan of the suspended context starts in this frame: it covers the return
	// address into the scheduler, which is also its resume address.
	context_switch_out(ctx_of(to), sp, uintptr_t(__builtin_return_address(0)));
}

extern "C" GRAFT_API void graft_context_switched(void)
{
	if (context_tracking())
		context_switch_in();
}

extern "C" GRAFT_API void graft_context_unregister(struct graft_context *ctx)
{
	if (ctx && ctx_of(ctx) != context_running())
		context_free(ctx_of(ctx));
}
