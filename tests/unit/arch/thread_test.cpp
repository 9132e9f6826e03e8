// SPDX-License-Identifier: MIT
// thread_test.cpp - patching while other threads run: callers in tight loops, a thread
// parked inside the bytes being overwritten, a thread that blocks the fix-up signal, and
// threads asleep in a system call (which must not be signalled).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include "arch_test_util.hpp"
#include "os/thread_signal.hpp"
#include "os/threads.hpp"

using namespace graft::arch;
using namespace arch_test;

extern "C" int repl_answer(int x);

extern "C" int repl_spin(volatile char *)
{
	return 2;
}

namespace {

TEST(Threads, CallersInTightLoopsWhileInstallingAndRemoving)
{
	std::string why;
	Site *sites[3] = {prepare(corpus_frame, corpus_frame_end, "corpus_frame", &why),
			  prepare(pfe_gcc, pfe_gcc_end, "pfe_gcc", &why),
			  prepare(pfe_clang, pfe_clang_end, "pfe_clang", &why)};
	for (Site *s : sites) {
		ASSERT_NE(s, nullptr) << why;
		site_set_target(s, addr(repl_answer));
	}
	std::atomic<bool> stop{false};
	std::atomic<long> bad{0}, calls{0};
	std::vector<std::thread> workers;
	for (int t = 0; t < 4; ++t)
		workers.emplace_back([&, t] {
			Fn volatile f[3] = {corpus_frame, pfe_gcc, pfe_clang};
			const int old_add[3] = {600, 1001, 1002};
			long n = 0;
			while (!stop.load(std::memory_order_relaxed)) {
				int k = int(n++ % 3), x = t;
				int r = f[k](x);
				if (r != x + old_add[k] && r != x + 9000)
					bad.fetch_add(1);
			}
			calls.fetch_add(n);
		});
	int failures = 0;
	PatchStats st0 = patch_stats();
	for (int i = 0; i < 200; ++i) {
		failures += !sites_install(sites, 3, &why);
		failures += !sites_remove(sites, 3, &why);
	}
	stop = true;
	for (auto &w : workers)
		w.join();
	EXPECT_EQ(failures, 0) << why;
	EXPECT_EQ(bad.load(), 0);
	EXPECT_GT(calls.load(), 1000);
	PatchStats st1 = patch_stats();
	std::printf("calls %ld, int3 traps redirected %lu, threads moved %lu\n", calls.load(),
		    st1.traps_redirected - st0.traps_redirected,
		    st1.threads_moved - st0.threads_moved);
	for (Site *s : sites)
		site_set_target(s, site_original(s));
}

// corpus_spin loops inside its first 6 bytes (the relocated range) until *flag != 0. A
// thread parked there must be moved into the trampoline, where it keeps spinning and then
// finishes the original body (returns 1); new calls get the replacement.
TEST(Threads, ThreadInsidePrologueIsMoved)
{
	std::string why;
	using SpinFn = int (*)(volatile char *);
	Site *s = site_prepare(addr(reinterpret_cast<void *>(corpus_spin)),
			       addr(corpus_spin_end) - addr(reinterpret_cast<void *>(corpus_spin)),
			       "corpus_spin", &why);
	ASSERT_NE(s, nullptr) << why;
	site_set_target(s, addr(reinterpret_cast<void *>(repl_spin)));
	volatile char flag = 0;
	std::atomic<int> result{-1};
	std::atomic<bool> started{false};
	std::thread spinner([&] {
		SpinFn volatile f = corpus_spin;
		started = true;
		result = f(&flag);
	});
	while (!started)
		std::this_thread::yield();
	usleep(20000); // well inside the loop by now
	unsigned long moved0 = patch_stats().threads_moved;
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_EQ(patch_stats().threads_moved, moved0 + 1);
	EXPECT_GE(graft::os::last_thread_run_stats().signalled, 1);
	usleep(20000); // still spinning, now in the trampoline
	EXPECT_EQ(result.load(), -1);
	flag = 1;
	spinner.join();
	EXPECT_EQ(result.load(), 1); // the original body, from the trampoline
	char one = 1;
	SpinFn volatile f = corpus_spin;
	EXPECT_EQ(f(&one), 2); // new calls: the replacement
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_EQ(f(&one), 1);
}

TEST(Threads, ThreadBlockingTheSignalFailsCleanly)
{
	std::string why;
	Site *s = prepare(corpus_short_jcc, corpus_short_jcc_end, "corpus_short_jcc", &why);
	ASSERT_NE(s, nullptr) << why;
	site_set_target(s, addr(repl_answer));
	auto before = bytes(addr(corpus_short_jcc), 16);
	std::atomic<bool> stop{false}, ready{false};
	std::atomic<pid_t> tid{0};
	std::thread blocker([&] {
		pthread_setname_np(pthread_self(), "blocker");
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, graft::os::thread_signal());
		pthread_sigmask(SIG_BLOCK, &set, nullptr);
		tid = graft::os::current_tid();
		ready = true;
		while (!stop.load(std::memory_order_relaxed)) // in user space, never in a syscall
			;
	});
	while (!ready)
		std::this_thread::yield();
	set_thread_fixup_timeout_ms(300);
	EXPECT_FALSE(install(s, &why));
	set_thread_fixup_timeout_ms(2000);
	stop = true;
	blocker.join();
	EXPECT_NE(why.find("thread " + std::to_string(tid.load()) + " (blocker) blocks the signal"),
		  std::string::npos)
		<< why;
	EXPECT_FALSE(site_installed(s));
	EXPECT_EQ(bytes(addr(corpus_short_jcc), 16), before);
	EXPECT_EQ(call(addr(corpus_short_jcc), 1), 303);
	site_set_target(s, site_original(s));
}

TEST(Threads, ThreadsInSystemCallsAreNotSignalled)
{
	std::string why;
	Site *s = prepare(corpus_rip_load, corpus_rip_load_end, "corpus_rip_load", &why);
	ASSERT_NE(s, nullptr) << why;
	int fds[2];
	ASSERT_EQ(pipe(fds), 0);
	std::atomic<pid_t> tid{0};
	std::atomic<int> rc{-2}, err{0};
	std::thread sleeper([&] {
		tid = graft::os::current_tid();
		pollfd p{fds[0], POLLIN, 0};
		int r = poll(&p, 1, 10000); // EINTR if any signal arrived
		err = errno;
		rc = r;
	});
	// Wait until it sleeps in poll.
	for (int i = 0; i < 1000; ++i) {
		graft::os::KernelState ks;
		if (tid && graft::os::read_kernel_state(tid, &ks) && !ks.running && ks.nr >= 0)
			break;
		usleep(1000);
	}
	site_set_target(s, addr(repl_answer));
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_GE(graft::os::last_thread_run_stats().skipped_blocked, 1);
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_EQ(rc.load(), -2); // still asleep
	ASSERT_EQ(write(fds[1], "x", 1), 1);
	sleeper.join();
	EXPECT_EQ(rc.load(), 1) << "poll was interrupted: errno " << err.load();
	close(fds[0]);
	close(fds[1]);
	site_set_target(s, site_original(s));
}

} // namespace
