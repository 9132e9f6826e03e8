// SPDX-License-Identifier: MIT
// deadlock_test.cpp - ported from SUSE libpulp's `deadlock` test (issue 13): the main
// thread dlopens and dlcloses a library in a loop while a patch's transition is held
// (a thread sits in the patched function). With the audit module each load calls
// library_coming, which takes patch_mutex with the loader's locks held; anything that
// takes a loader lock under patch_mutex (pthread_create does: the TLS lock) can hang the
// process for good. Run over many fresh processes, since the window is small; a
// watchdog (the command's timeout) turns a hang into a failure.
#include <gtest/gtest.h>

#include <string>

#include "process.hpp"

using namespace graft::test;

namespace {

constexpr int kProcesses = 12;

std::string fixture(const std::string &name)
{
	return out_dir() + "/itest-host/" + name;
}

long count_of(Target &t)
{
	std::string line = t.ask("count", 30);
	return line.empty() ? -1 : std::stol(line);
}

// True once the main thread's loop count moved past since, within 30 s.
bool loop_moves(Target &t, long since)
{
	for (int i = 0; i < 3000; i++) {
		long c = count_of(t);
		if (c < 0)
			return false;
		if (c > since)
			return true;
		usleep(10000);
	}
	return false;
}

TEST(DlopenLoop, PatchTransitionWhileTheProgramLoadsInALoopNeverHangs)
{
	RuntimeDir dir;
	for (int i = 0; i < kProcesses; i++) {
		SCOPED_TRACE("process " + std::to_string(i));
		Target t(fixture("dlopen-loop"), {fixture("plugins/deps/libhostq.so")});
		ASSERT_TRUE(t.wait_ready());
		long before = count_of(t);
		ASSERT_TRUE(loop_moves(t, before)) << "the loop does not run";
		// --no-wait: the transition is held by the holder thread; the load returns once
		// it started. 20 s is the watchdog: a hang leaves the command without a reply.
		CmdResult r = run_graft({"load", std::to_string(t.pid()),
					 fixture("patches/loop-answer2.so"), "--no-wait",
					 "--timeout", "20"},
					30);
		ASSERT_EQ(r.status, 0) << "graft load: " << r.err;
		long after = count_of(t);
		ASSERT_GE(after, 0) << "the target stopped answering";
		EXPECT_TRUE(loop_moves(t, after)) << "the dlopen loop hangs";
		CmdResult list = run_graft({"list", std::to_string(t.pid())}, 30);
		EXPECT_EQ(list.status, 0) << "graft list: " << list.err;
		// Releasing the holder lets the transition complete: the fresh call is patched.
		EXPECT_EQ(t.ask("answer", 30), "2");
	}
}

} // namespace
