// SPDX-License-Identifier: MIT
// busy_test.cpp - the kernel's "busy target module" (selftest 5.1.9) in user space: a
// thread parked inside busymod_work_func holds the patching transition; status names it,
// waiting commands time out with exit 3, release completes it, disable reverses it,
// cancellation unwinds through it; exceptions thrown through a patched function by a
// switched and an unswitched thread meanwhile.
#include "cons_test.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

// The log lines in order, from the first line containing from_text.
void expect_in_order(const std::string &log, const std::vector<std::string> &want)
{
	size_t at = 0;
	for (const auto &w : want) {
		size_t found = log.find(w, at);
		EXPECT_NE(found, std::string::npos) << "missing (in order): '" << w << "'\n" << log;
		if (found != std::string::npos)
			at = found + w.size();
	}
}

TEST_F(BusyConsistency, BusyThreadHoldsThePatchingTransitionUntilReleased)
{
	CmdResult r = graft("load", {patch_path("cons-busy"), "--timeout", "1"});
	EXPECT_EQ(r.status, 3) << "load must time out in transition: " << r.out << r.err;
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	EXPECT_EQ(s.patch, "cons-busy");
	EXPECT_EQ(s.direction, "patching");
	EXPECT_EQ(s.threads_switched + 1, s.threads_total) << s.raw;
	const HoldingThread *h = s.find(busy_tid);
	ASSERT_NE(h, nullptr);
	EXPECT_EQ(h->name, "busy");
	EXPECT_THAT(h->reason, HasSubstr("busymod_work_func"));
	// The command thread has switched while the busy thread still runs the old code.
	EXPECT_EQ(target->ask("version"), "version 2");
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
	EXPECT_EQ(target->ask("version"), "version 2");
	expect_in_order(graft_log(ipid), {"graft: 'cons-busy': initializing patching transition",
					  "graft: 'cons-busy': starting patching transition",
					  "graft: 'cons-busy': completing patching transition",
					  "graft: 'cons-busy': patching complete"});
}

TEST_F(BusyConsistency, EnableWithTimeoutExits3AndTheTransitionGoesOn)
{
	CmdResult r = graft("load", {patch_path("cons-busy"), "--no-enable"});
	ASSERT_EQ(r.status, 0) << r.err;
	r = graft("enable", {"cons-busy", "--timeout", "1"});
	EXPECT_EQ(r.status, 3) << r.out << r.err;
	EXPECT_THAT(r.err, HasSubstr("cons-busy"));
	TransitionStatus s = graft_status(ipid);
	ASSERT_TRUE(s.ok) << s.err;
	EXPECT_TRUE(s.active) << "the transition must go on after the command gave up";
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
	EXPECT_THAT(graft_log(ipid), HasSubstr("'cons-busy': patching complete"));
}

TEST_F(BusyConsistency, NoWaitReturnsAtOnceAndStatusSaysWhy)
{
	CmdResult r = graft("load", {patch_path("cons-busy"), "--no-wait"}, 10);
	ASSERT_EQ(r.status, 0) << r.err;
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	// The human-readable form names the thread too.
	CmdResult text = graft("status");
	EXPECT_EQ(text.status, 0) << text.err;
	EXPECT_THAT(text.out, HasSubstr(std::to_string(busy_tid)));
	EXPECT_THAT(text.out, HasSubstr("busymod_work_func"));
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
}

// 5.1.9: disabling the patch in transition reverses it; nothing waits for the busy
// thread, which never left the original code.
TEST_F(BusyConsistency, DisableWhileHeldReversesTheTransition)
{
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	CmdResult r = graft("disable", {"cons-busy", "--timeout", "10"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	ASSERT_TRUE(completes(10));
	EXPECT_EQ(target->ask("version"), "version 1");
	expect_in_order(graft_log(ipid),
			{"graft: 'cons-busy': starting patching transition",
			 "graft: 'cons-busy': reversing transition from patching to unpatching",
			 "graft: 'cons-busy': completing unpatching transition",
			 "graft: 'cons-busy': unpatching complete"});
	EXPECT_EQ(graft("unload", {"cons-busy"}).status, 0) << "a reversed patch unloads";
	EXPECT_EQ(target->ask("release"), "released 1");
}

TEST_F(BusyConsistency, CancelUnwindsThroughTheHeldFunction)
{
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	EXPECT_EQ(target->ask("cancel"), "cancelled");
	ASSERT_TRUE(completes());
	EXPECT_THAT(graft_log(ipid), HasSubstr("'cons-busy': patching complete"));
	EXPECT_EQ(target->ask("ping"), "pong");
	EXPECT_EQ(target->ask("version"), "version 2");
}

// An exception unwinds through the replacement on a switched thread (the command
// thread) and through the original on the busy thread, which has not switched.
TEST_F(BusyConsistency, ExceptionsThroughAPatchedFunctionDuringTheTransition)
{
	EXPECT_EQ(target->ask("throw"), "pass 6 caught negative");
	ASSERT_EQ(graft("load", {patch_path("cons-busy"), "--no-wait"}, 10).status, 0);
	TransitionStatus s;
	ASSERT_TRUE(held_only_by(busy_tid, &s));
	EXPECT_EQ(target->ask("throw"), "pass 7 caught negative");
	EXPECT_EQ(target->ask("bthrow"), "pass 6 caught negative");
	EXPECT_EQ(target->ask("throw"), "pass 7 caught negative");
	ASSERT_TRUE(held_only_by(busy_tid, &s)) << "the busy thread must still hold it";
	EXPECT_EQ(target->ask("release"), "released 1");
	ASSERT_TRUE(completes());
	EXPECT_EQ(target->ask("throw"), "pass 7 caught negative");
}

} // namespace
