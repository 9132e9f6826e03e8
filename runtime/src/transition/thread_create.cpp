// SPDX-License-Identifier: MIT
// thread_create.cpp - pthread_create, wrapped: a thread created during a transition
// starts in its creator's state (the kernel copies patch_state on fork).
#include <dlfcn.h>
#include <pthread.h>

#include <cerrno>
#include <new>

#include <graft/graft.h>

#include "transition/thread_state.hpp"

namespace graft::transition {
namespace {

using create_fn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

struct Boot {
	void *(*start)(void *);
	void *arg;
	uint64_t gen;
	int state;
};

void *boot(void *p)
{
	Boot b = *static_cast<Boot *>(p);
	delete static_cast<Boot *>(p);
	Published now = published();
	// Only if the creator's transition is still the current one; otherwise the new
	// thread simply starts in the current transition's initial state.
	if (now.gen == b.gen && b.state != now.initial)
		record(self_tid(), now, b.state);
	return b.start(b.arg);
}

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
	// transition): boot() would record nothing, whatever happens in between (a new
	// generation also starts the thread in its initial state), so the thread starts
	// directly. No allocation, and no free on the new thread: its first free made
	// glibc give it a malloc arena (128 MiB reserved, a heap mapped and touched) even
	// when it never allocated, e.g. the control thread of every preloaded process.
	if (state == p.initial)
		return real(thread, attr, start, arg);
	auto *b = new (std::nothrow) Boot{start, arg, p.gen, state};
	if (!b)
		return real(thread, attr, start, arg);
	int ret = real(thread, attr, boot, b);
	if (ret != 0)
		delete b;
	return ret;
}
