// SPDX-License-Identifier: MIT
// threads_test.cpp - threads that come and go during a transition (and take their
// creator's state), a thread that blocks the signal (only `graft force` finishes its
// transition; the forced patch cannot be unloaded), and sleepers that must never see
// EINTR because blocked threads are checked without a signal.
#include "cons_test.hpp"

#include <sstream>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

TEST_F(BusyConsistency, ThreadsComingAndGoingDuringATransition)
{
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	// The command thread has switched: what it creates starts switched and runs the
	// new code, whether it exits at once or stays.
	EXPECT_EQ(target->ask("spawn 8"), "spawn exit-new 8/8 stay-new 8/8");
	EXPECT_EQ(target->ask("spawn 8"), "spawn exit-new 8/8 stay-new 16/16");
	// A thread that blocks every signal from birth and never calls a patched function
	// can only be switched by inheriting its creator's state; if it did not, it would
	// hold the transition forever.
	int spin_tid = int(ask_number("sigspin", "sigspin"));
	ASSERT_TRUE(held_only_by(busy_tid, &s)) << "sigspin must not hold the transition";
	EXPECT_EQ(target->ask("release"), "released 1");
	bool done = completes();
	EXPECT_TRUE(done) << "sigspin (tid " << spin_tid << ") inherited no switched state?";
	EXPECT_EQ(target->ask("sigstop"), "sigstopped");
	EXPECT_EQ(target->ask("unstay"), "unstayed 16");
	EXPECT_EQ(target->ask("version"), "version 2");
	EXPECT_EQ(target->ask("ping"), "pong");
}

// The threads exit while the transition thread may be looking at them.
TEST_F(BusyConsistency, ThreadsExitingDuringATransitionDoNotHoldIt)
{
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(target->ask("spawn 4"), "spawn exit-new 4/4 stay-new " +
							  std::to_string(4 * (i + 1)) + "/" +
							  std::to_string(4 * (i + 1)));
	EXPECT_EQ(target->ask("unstay"), "unstayed 80");
	ASSERT_TRUE(held_only_by(busy_tid, &s)) << "a gone thread must not be listed";
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
}

TEST_F(Consistency, ASignalBlockingThreadNeedsForceAndTheForcedPatchStaysLoaded)
{
	start();
	// B installs cons_k's entry while no thread runs it; A then stacks on B: no code
	// write, so a running thread that blocks signals cannot stop A from starting.
	ASSERT_EQ(graft("load", {patch_path("cons-kb")}).status, 0);
	std::string blocker = target->ask("blocker");
	ASSERT_THAT(blocker, HasSubstr(" in 2")) << "the blocker must run B's cons_k";
	int tid = int(number_after(blocker, "blocker"));
	ASSERT_EQ(graft("load", {patch_path("cons-ka"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(tid, &s));
	EXPECT_EQ(s.patch, "cons-ka");
	EXPECT_EQ(s.find(tid)->name, "blocker");
	EXPECT_THAT(s.find(tid)->reason, HasSubstr("blocks the signal"));
	CmdResult r = graft("force");
	EXPECT_EQ(r.status, 0) << r.err;
	ASSERT_TRUE(completes(10));
	EXPECT_THAT(graft_log(ipid), HasSubstr("forcing remaining threads to the patched state"));
	EXPECT_EQ(target->ask("k"), "k 3");
	EXPECT_EQ(target->ask("unblock"), "unblocked 2") << "the blocker finished B's cons_k";
	r = graft("disable", {"cons-ka"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(target->ask("k"), "k 2");
	r = graft("unload", {"cons-ka"});
	EXPECT_EQ(r.status, 1) << "a forced patch must not be unloaded: " << r.out << r.err;
	EXPECT_THAT(r.err, HasSubstr("force"));
	EXPECT_EQ(graft("disable", {"cons-kb"}).status, 0);
	EXPECT_EQ(graft("unload", {"cons-kb"}).status, 0) << "B was never forced";
}

TEST_F(Consistency, ForceWithoutATransitionIsRefused)
{
	start();
	CmdResult r = graft("force");
	EXPECT_EQ(r.status, 1) << r.out << r.err;
}

std::vector<int> tids_of(const std::string &line)
{
	std::istringstream in(line);
	std::string word;
	std::vector<int> tids;
	in >> word;
	for (int t; in >> t;)
		tids.push_back(t);
	return tids;
}

TEST_F(Consistency, SleepingThreadsNeverSeeEintr)
{
	start();
	std::vector<int> sleepers = tids_of(target->ask("sleepers"));
	ASSERT_EQ(sleepers.size(), 4u);
	for (int tid : sleepers)
		ASSERT_TRUE(wait_thread_asleep(ipid, tid)) << "tid " << tid;
	ASSERT_EQ(graft("load", {patch_path("cons-idle"), "--no-enable"}).status, 0);
	for (int i = 0; i < 20; i++) {
		CmdResult r = graft("enable", {"cons-idle"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		EXPECT_EQ(target->ask("idle"), "idle 2");
		r = graft("disable", {"cons-idle"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		EXPECT_EQ(target->ask("idle"), "idle 1");
	}
	EXPECT_EQ(target->ask("eintr"), "eintr 0");
}

TEST_F(BusyConsistency, SleepersDoNotHoldATransition)
{
	std::vector<int> sleepers = tids_of(target->ask("sleepers"));
	ASSERT_EQ(sleepers.size(), 4u);
	for (int tid : sleepers)
		ASSERT_TRUE(wait_thread_asleep(ipid, tid)) << "tid " << tid;
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s)) << "only the busy thread may hold it";
	for (int tid : sleepers)
		EXPECT_EQ(s.find(tid), nullptr) << "sleeper " << tid << " listed";
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
	EXPECT_EQ(target->ask("eintr"), "eintr 0");
}

} // namespace
