// SPDX-License-Identifier: MIT
// cpp_service.cpp - a C++ service started WITHOUT graft: std::thread workers blocked in a
// condition variable and in sleep_for, one throwing and catching exceptions in a loop,
// one churning new/delete, and a virtual function the patch replaces.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Greeter {
	virtual ~Greeter() = default;
	virtual int answer();
};

__attribute__((noinline)) int Greeter::answer()
{
	static volatile int v = 1;
	return v;
}

static std::atomic<long> thrown{0}, caught{0};

__attribute__((noinline)) static void fail(long i)
{
	thrown++;
	throw std::runtime_error("round " + std::to_string(i));
}

int main()
{
	std::mutex mu;
	std::condition_variable cv;
	std::vector<std::thread> workers;
	workers.emplace_back([&] {
		std::unique_lock<std::mutex> lock(mu);
		for (;;)
			cv.wait(lock);
	});
	workers.emplace_back([] {
		for (;;)
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
	});
	workers.emplace_back([] {
		for (long i = 0;; i++) {
			try {
				fail(i);
			} catch (const std::runtime_error &) {
				caught++;
			}
			if (i % 64 == 0)
				std::this_thread::yield();
		}
	});
	workers.emplace_back([] {
		for (unsigned i = 0;; i++) {
			auto v = std::make_unique<std::vector<int>>(16 + i % 1024, 1);
			if (i % 4096 == 0)
				std::this_thread::yield();
		}
	});
	std::unique_ptr<Greeter> g(new Greeter);
	std::cout << "ready" << std::endl;
	for (std::string line; std::getline(std::cin, line);) {
		if (line == "answer")
			std::cout << "answer " << g->answer() << std::endl;
		else if (line == "exceptions") {
			long t = thrown, c = caught; // the thrower may be between the two counters
			std::cout << (t - c <= 1 && c > 0 ? "exceptions ok" : "exceptions lost")
				  << std::endl;
		} else
			std::cout << "pong" << std::endl;
	}
	std::_Exit(0);
}
