// SPDX-License-Identifier: MIT
// fib_target.cpp - the fiber tests' target: a scheduler of fibers over 2 worker threads
// with one shared run queue (so fibers migrate between the threads), with Boost.Context
// fibers (argv[1] "boost"), ucontext coroutines ("ucontext"), or a stack switch of the
// target's own that tells graft through the graft_context_* API ("api"). One reply line per
// stdin command:
//   spin N      N fibers that loop { h(x), check g(f(x)) == x, yield }
//   spin-sibling N  N fibers that loop the same on fib_srun and fib_srun_pfe in turn
//   mismatches  "mismatches M" so far
//   stop        the spinning fibers stop calling h: "calls C mismatches M"
//   park        a fiber that parks inside fib_park: "parked"
//   release     resumes it; it returns from fib_park: "released V" (V: the version)
//   quit
#include <boost/context/fiber.hpp>
#include <dlfcn.h>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fib_funcs.hpp"

namespace ctx = boost::context;

namespace {

constexpr size_t kStack = 256 * 1024; // ASan builds need more than the usual 64 KiB
bool use_ucontext;
bool use_api;

struct Task;
void task_main(Task *t);

// One fiber. Boost: `fiber` is its handle while suspended, `sink` the worker's while it
// runs. ucontext: `uc` its saved context, `back` the resuming worker's.
struct Task {
	ctx::fiber fiber;
	ctx::fiber sink;
	ucontext_t uc{};
	ucontext_t *back = nullptr;
	void *stack = nullptr;
	bool spinner = false;
	bool sibling = false; // a spinner of fib_srun / fib_srun_pfe
	bool done = false;
	std::atomic<int> park{0};  // 1: do not requeue after this yield
	void *gc = nullptr;	   // ucontext, api: graft's context, to unregister when done
	void *sp = nullptr;	   // api: its stack pointer while suspended
	void *worker_sp = nullptr; // api: the resuming worker's
	void *worker_gc = nullptr; // api: the resuming worker's graft context
};

// graft's public context API (the runtime is preloaded), found at run time: a ucontext
// fiber that ends without returning is unregistered before its stack is freed.
using gc_current_fn = void *(*)();
using gc_unregister_fn = void (*)(void *);
using gc_register_fn = void *(*)(void *, size_t);
using gc_switch_fn = void (*)(void *);
using gc_switched_fn = void (*)();
gc_current_fn gc_current;
gc_unregister_fn gc_unregister;
gc_register_fn gc_register;
gc_switch_fn gc_switch;
gc_switched_fn gc_switched;

void *graft_fn(const char *name)
{
	void *fn = dlsym(RTLD_DEFAULT, name);
	if (!fn && use_api) {
		fprintf(stderr, "fib-target: %s not found: run it under graft\n", name);
		abort();
	}
	return fn;
}

} // namespace

// api mode's stack switch: saves the callee-saved registers on the current stack, its
// stack pointer in *save, and resumes the stack `to` (which was saved the same way).
extern "C" void fib_switch_stack(void **save, void *to);
asm(R"(
	.text
	.globl fib_switch_stack
	.type fib_switch_stack, @function
fib_switch_stack:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size fib_switch_stack, .-fib_switch_stack
)");

namespace {

std::mutex lock; // the run queue, parked, workers' stop flag
std::condition_variable ready;
std::deque<Task *> runq;
Task *parked_task;
bool quitting;
std::vector<std::thread> workers;

std::atomic<long> calls{0}, mismatches{0};
std::atomic<bool> stop_spin{false};
std::atomic<int> park_result{0};

// The task each worker runs now. Read only before a switch: a fiber may resume on
// another thread, so it never reads this after yielding.
thread_local Task *running;

void push(Task *t)
{
	std::lock_guard<std::mutex> g(lock);
	runq.push_back(t);
	ready.notify_one();
}

void uc_entry(long arg)
{
	task_main(reinterpret_cast<Task *>(arg));
}

// api mode: a new fiber's first instructions (fib_switch_stack "returns" here).
void api_entry()
{
	Task *t = running; // set by the worker that starts it, on this thread
	gc_switched();
	task_main(t);
	abort(); // task_main never returns in api mode
}

Task *make_task(bool spinner)
{
	auto *t = new Task;
	t->spinner = spinner;
	if (use_api) {
		t->stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (t->stack == MAP_FAILED)
			abort();
		t->gc = gc_register(t->stack, kStack);
		// Six zeroed registers, then the return address: api_entry starts with the
		// stack aligned as after a call.
		auto *top = reinterpret_cast<void **>(static_cast<char *>(t->stack) + kStack);
		top -= 2;
		top[0] = reinterpret_cast<void *>(api_entry);
		top -= 6;
		for (int i = 0; i < 6; i++)
			top[i] = nullptr;
		t->sp = top;
	} else if (use_ucontext) {
		t->stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (t->stack == MAP_FAILED)
			abort();
		getcontext(&t->uc);
		t->uc.uc_stack.ss_sp = t->stack;
		t->uc.uc_stack.ss_size = kStack;
		t->uc.uc_link = nullptr; // fibers never return (see task_main)
		makecontext(&t->uc, reinterpret_cast<void (*)()>(uc_entry), 1, long(t));
	} else {
		t->fiber = ctx::fiber(std::allocator_arg, ctx::protected_fixedsize_stack(kStack),
				      [t](ctx::fiber &&sink) {
					      t->sink = std::move(sink);
					      task_main(t);
					      return std::move(t->sink);
				      });
	}
	return t;
}

// Runs t on this worker until it yields.
void resume(Task *t)
{
	running = t;
	if (use_api) {
		t->worker_gc = gc_current();
		gc_switch(t->gc);
		fib_switch_stack(&t->worker_sp, t->sp);
		gc_switched();
	} else if (use_ucontext) {
		ucontext_t here;
		t->back = &here;
		swapcontext(&here, &t->uc);
	} else {
		t->fiber = std::move(t->fiber).resume();
	}
}

// From inside the running fiber: back to the worker that resumed it.
void yield_from(Task *t)
{
	if (use_api) {
		gc_switch(t->worker_gc);
		fib_switch_stack(&t->sp, t->worker_sp);
		gc_switched();
	} else if (use_ucontext)
		swapcontext(&t->uc, t->back);
	else
		t->sink = std::move(t->sink).resume();
}

void worker_main()
{
	std::unique_lock<std::mutex> g(lock);
	for (;;) {
		ready.wait(g, [] { return quitting || !runq.empty(); });
		if (quitting)
			return;
		Task *t = runq.front();
		runq.pop_front();
		g.unlock();
		resume(t);
		g.lock();
		if (t->park.exchange(0)) {
			parked_task = t;
		} else if (t->done) {
			if (use_ucontext || use_api) {
				if (gc_unregister && t->gc)
					gc_unregister(t->gc);
				munmap(t->stack, kStack);
			}
			delete t; // a Boost fiber has ended: its stack is freed
		} else {
			runq.push_back(t);
		}
	}
}

void task_main(Task *t)
{
	if (use_ucontext && gc_current)
		t->gc = gc_current(); // api mode: registered by make_task
	if (t->spinner) {
		long x = long(reinterpret_cast<uintptr_t>(t) >> 4 & 0xffff);
		for (long i = 0; !stop_spin.load(std::memory_order_relaxed); i++) {
			long r = !t->sibling ? fib_h(x) : (i & 1) ? fib_srun_pfe(x) : fib_srun(x);
			calls.fetch_add(1, std::memory_order_relaxed);
			if (r != x)
				mismatches.fetch_add(1, std::memory_order_relaxed);
			fib_yield();
		}
	} else {
		park_result = fib_park();
	}
	t->done = true;
	// A ucontext fiber does not return (uc_link would resume the worker it was made
	// on, not the one running it): it yields one last time and is never resumed; the
	// worker unregisters it from graft and frees its stack. So does an api one.
	if (use_ucontext || use_api)
		yield_from(t);
}

void spin(int n, bool sibling)
{
	stop_spin = false;
	for (int i = 0; i < n; i++) {
		Task *t = make_task(true);
		t->sibling = sibling;
		push(t);
	}
	printf("spinning %d\n", n);
}

void park()
{
	park_result = 0;
	push(make_task(false));
	for (;;) {
		{
			std::lock_guard<std::mutex> g(lock);
			if (parked_task)
				break;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	printf("parked\n");
}

void release()
{
	Task *t;
	{
		std::lock_guard<std::mutex> g(lock);
		t = parked_task;
		parked_task = nullptr;
	}
	if (!t)
		return (void)printf("error not parked\n");
	push(t);
	while (park_result.load() == 0)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	printf("released %d\n", park_result.load());
}

} // namespace

extern "C" {

__attribute__((noinline, used)) void fib_yield(void)
{
	yield_from(running);
}

__attribute__((noinline, used)) void fib_wait(void)
{
	Task *t = running;
	t->park = 1;
	yield_from(t);
}

} // extern "C"

int main(int argc, char **argv)
{
	use_ucontext = argc > 1 && std::string(argv[1]) == "ucontext";
	use_api = argc > 1 && std::string(argv[1]) == "api";
	gc_current = reinterpret_cast<gc_current_fn>(graft_fn("graft_context_current"));
	gc_unregister = reinterpret_cast<gc_unregister_fn>(graft_fn("graft_context_unregister"));
	gc_register = reinterpret_cast<gc_register_fn>(graft_fn("graft_context_register"));
	gc_switch = reinterpret_cast<gc_switch_fn>(graft_fn("graft_context_switch"));
	gc_switched = reinterpret_cast<gc_switched_fn>(graft_fn("graft_context_switched"));
	setvbuf(stdout, nullptr, _IOLBF, 0);
	for (int i = 0; i < 2; i++)
		workers.emplace_back(worker_main);
	printf("ready\n");
	char buf[128];
	while (fgets(buf, sizeof(buf), stdin)) {
		std::string line(buf);
		while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
			line.pop_back();
		std::string verb = line.substr(0, line.find(' '));
		std::string arg =
			line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
		if (verb == "quit")
			break;
		if (verb == "spin" || verb == "spin-sibling")
			spin(atoi(arg.c_str()), verb == "spin-sibling");
		else if (verb == "mismatches")
			printf("mismatches %ld\n", mismatches.load());
		else if (verb == "stop") {
			stop_spin = true;
			printf("calls %ld mismatches %ld\n", calls.load(), mismatches.load());
		} else if (verb == "park")
			park();
		else if (verb == "release")
			release();
		else
			printf("unknown command '%s'\n", line.c_str());
	}
	{
		std::lock_guard<std::mutex> g(lock);
		quitting = true;
		ready.notify_all();
	}
	for (auto &w : workers)
		w.join();
	// Fibers still suspended end with the process.
	fflush(stdout);
	_exit(0);
}
