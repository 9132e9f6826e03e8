// SPDX-License-Identifier: MIT
// service.cpp - a Boost.Context fiber service: 200 "session" fibers over 2 worker
// threads (one shared run queue, so sessions migrate between the threads), each pricing
// orders with order_total(). Session 0 has a slow client: it waits inside order_total()
// for its payment confirmation until you type "confirm". The bug: order_total() adds
// the shipping fee twice. fiber-fix.so replaces it. Commands on stdin: confirm, total,
// quit.
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ctx = boost::context;

namespace {

struct Session {
	int id = 0;
	ctx::fiber fiber; // while suspended
	ctx::fiber sink;  // the worker that runs it, while running
	bool waiting = false;
};

std::mutex lock; // the run queue and the waiting session
std::condition_variable ready;
std::deque<Session *> runq;
Session *waiting_session;
std::atomic<long> last_total{0};
thread_local Session *running;

void yield_now()
{
	Session *s = running; // read before the switch: it may resume on the other thread
	s->sink = std::move(s->sink).resume();
}

} // namespace

extern "C" {

// The slow client's payment: the session parks here until "confirm".
__attribute__((noinline)) void wait_for_payment(void)
{
	Session *s = running;
	s->waiting = true;
	s->sink = std::move(s->sink).resume();
}

// Price of an order of n items at 250 cents, 500 cents shipping. Bug: shipping twice.
__attribute__((noinline)) long order_total(int session, int n)
{
	long total = 250L * n + 500;
	if (session == 0)
		wait_for_payment();
	return total + 500;
}

} // extern "C"

namespace {

void session_main(Session *s)
{
	for (int n = 1;; n = n % 10 + 1) {
		last_total = order_total(s->id, n);
		yield_now();
	}
}

void worker()
{
	std::unique_lock<std::mutex> g(lock);
	for (;;) {
		ready.wait(g, [] { return !runq.empty(); });
		Session *s = runq.front();
		runq.pop_front();
		g.unlock();
		running = s;
		s->fiber = std::move(s->fiber).resume();
		g.lock();
		if (s->waiting)
			waiting_session = s; // parked until "confirm"
		else
			runq.push_back(s);
	}
}

} // namespace

int main()
{
	setvbuf(stdout, nullptr, _IOLBF, 0);
	for (int i = 0; i < 200; i++) {
		auto *s = new Session;
		s->id = i;
		s->fiber = ctx::fiber(std::allocator_arg, ctx::protected_fixedsize_stack(64 * 1024),
				      [s](ctx::fiber &&sink) {
					      s->sink = std::move(sink);
					      session_main(s);
					      return std::move(s->sink);
				      });
		runq.push_back(s);
	}
	std::vector<std::thread> workers;
	for (int i = 0; i < 2; i++)
		workers.emplace_back(worker);
	printf("fiber-service: 200 sessions on 2 threads; session 0 waits for its payment\n");
	char buf[64];
	while (fgets(buf, sizeof(buf), stdin)) {
		std::string cmd(buf);
		if (cmd.rfind("confirm", 0) == 0) {
			std::lock_guard<std::mutex> g(lock);
			if (Session *s = waiting_session) {
				waiting_session = nullptr;
				s->waiting = false;
				runq.push_back(s);
				ready.notify_one();
				printf("session 0: payment confirmed\n");
			} else {
				printf("session 0 is not waiting\n");
			}
		} else if (cmd.rfind("total", 0) == 0) {
			printf("order of 1 item: %ld cents\n", order_total(1, 1));
		} else if (cmd.rfind("quit", 0) == 0) {
			break;
		}
	}
	fflush(stdout);
	_exit(0); // the sessions end with the process
}
