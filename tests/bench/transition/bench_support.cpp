// SPDX-License-Identifier: MIT
// bench_support.cpp - the transition benchmarks' harness.
#include "bench_support.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "arch/x86_64/site.hpp"
#include "core/api.hpp"
#include "core/transition.hpp"
#include "os/thread_signal.hpp"
#include "transition/select.hpp"

namespace bench {

void must(bool ok, const std::string &what, const std::string &error)
{
	if (ok)
		return;
	std::fprintf(stderr, "bench_transition: %s: %s\n", what.c_str(), error.c_str());
	std::abort();
}

// What libgraft.so's constructor does before it loads patches (core/init.cpp), minus
// the control socket.
void runtime_init()
{
	static bool done = [] {
		std::string why;
		must(graft::arch::arch_init(&why), "arch_init", why);
		must(graft::os::thread_signal_init(&why), "thread_signal_init", why);
		graft::transition::select_init();
		graft::core::set_consistency_model(true);
		return true;
	}();
	(void)done;
}

std::string module(const std::string &name)
{
	return std::string(BENCH_TR_DIR) + "/" + name + ".so";
}

bool wait_complete(int timeout_ms)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
	while (graft::core::transition_status().active) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::microseconds(20));
	}
	return true;
}

IdleThreads::IdleThreads(int n)
{
	threads_.resize(size_t(n));
	for (auto &t : threads_)
		pthread_create(&t, nullptr, main, this);
	pthread_mutex_lock(&lock_);
	while (waiting_ < n) {
		pthread_mutex_unlock(&lock_);
		std::this_thread::yield();
		pthread_mutex_lock(&lock_);
	}
	pthread_mutex_unlock(&lock_);
}

IdleThreads::~IdleThreads()
{
	pthread_mutex_lock(&lock_);
	leave_ = true;
	pthread_cond_broadcast(&cond_);
	pthread_mutex_unlock(&lock_);
	for (auto t : threads_)
		pthread_join(t, nullptr);
}

void *IdleThreads::main(void *arg)
{
	auto *self = static_cast<IdleThreads *>(arg);
	pthread_mutex_lock(&self->lock_);
	self->waiting_++;
	while (!self->leave_)
		pthread_cond_wait(&self->cond_, &self->lock_);
	pthread_mutex_unlock(&self->lock_);
	return nullptr;
}

} // namespace bench
