// SPDX-License-Identifier: MIT
// thread_create.cpp - pthread_create, wrapped: a thread created during a transition
// starts in its creator's state (the kernel copies patch_state on fork).
#include <dlfcn.h>
#include <pthread.h>

#include <cerrno>

#include <graft/graft.h>

#include "transition/thread_boot.hpp"
#include "transition/thread_state.hpp"

namespace graft::transition {
namespace {

using create_fn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

create_fn real_create()
{
	static create_fn fn = [] {
		void *sym = dlvsym(RTLD_NEXT, "pthread_create", "GLIBC_2.34");
		if (!sym)
			sym = dlsym(RTLD_NEXT, "pthread_create");
		return reinterpret_cast<create_fn>(sym);
	}();
	return fn;
}

} // namespace
} // namespace graft::transition

extern "C" GRAFT_API int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
					void *(*start)(void *), void *arg)
{
	using namespace graft::transition;
	create_fn real = real_create();
	if (!real)
		return EAGAIN;
	Published p = published();
	int state = current_state(p);
	// A creator in the initial state of the current generation (always, outside a
	// transition): the new thread would adopt nothing, whatever happens in between (a
	// new generation also starts the thread in its initial state), so it starts
	// directly.
	if (state == p.initial)
		return real(thread, attr, start, arg);
	void *handoff = boot_prepare(start, arg, p.gen, state);
	int ret = real(thread, attr, boot_start, handoff);
	if (ret != 0)
		boot_cancel(handoff);
	return ret;
}
