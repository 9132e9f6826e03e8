// SPDX-License-Identifier: MIT
// bench_support.hpp - the transition benchmarks' harness: the runtime set up in process
// as its constructor would, waiting for a transition to complete, parked threads.
#pragma once

#include <pthread.h>

#include <string>
#include <vector>

namespace bench {

// arch, the thread signal, the select hook, the model on. Aborts if any is unavailable.
void runtime_init();
std::string module(const std::string &name); // BENCH_TR_DIR/name.so
// Aborts with the runtime's error when r failed.
void must(bool ok, const std::string &what, const std::string &error);
// Polls transition_status() until no transition runs; false after timeout_ms.
bool wait_complete(int timeout_ms = 30000);

// n threads blocked in a condition wait until the object goes.
class IdleThreads {
public:
	explicit IdleThreads(int n);
	~IdleThreads();
	IdleThreads(const IdleThreads &) = delete;
	IdleThreads &operator=(const IdleThreads &) = delete;

private:
	static void *main(void *self);
	pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond_ = PTHREAD_COND_INITIALIZER;
	bool leave_ = false;
	int waiting_ = 0;
	std::vector<pthread_t> threads_;
};

} // namespace bench
