// SPDX-License-Identifier: MIT
// codec_test.cpp - what the consistency model is for: h(x) = g(f(x)) with a pause between
// the calls must never mix an old f with a new g (or the reverse) while a patch of all
// three is enabled and disabled under load; without the model it does.
#include "cons_test.hpp"

using namespace graft::test;

namespace {

constexpr int kThreads = 4;
// 500 rounds, 125 under AddressSanitizer (test_rounds); atomic replace 100 and 25.
constexpr int kRounds = test_rounds(500);
constexpr int kReplaceRounds = test_rounds(100);

struct Counts {
	long calls = -1;
	long mismatches = -1;
};

Counts stop_spinning(Target &t)
{
	std::string line = t.ask("stop");
	return {number_after(line, "calls"), number_after(line, "mismatches")};
}

TEST_F(Consistency, NoThreadMixesVersionsAcrossEnableDisableRounds)
{
	start();
	ASSERT_EQ(target->ask("spin " + std::to_string(kThreads)), "spinning 4");
	CmdResult r = graft("load", {patch_path("cons-codec")});
	ASSERT_EQ(r.status, 0) << r.err;
	for (int i = 0; i < kRounds; i++) {
		r = graft("disable", {"cons-codec"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("enable", {"cons-codec"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
	}
	Counts c = stop_spinning(*target);
	EXPECT_GT(c.calls, 0);
	EXPECT_EQ(c.mismatches, 0) << "a thread ran f and g of different versions in one h";
	EXPECT_FALSE(graft_status(ipid).active);
}

// Atomic replace: a cumulative patch that does not cover f, g and h sends them back to
// the original code in its own transition (nops), and its reversal (disable) puts
// nothing back: the codec was replaced. No thread may mix versions in either.
TEST_F(Consistency, AtomicReplaceNeverMixesVersions)
{
	start();
	ASSERT_EQ(target->ask("spin " + std::to_string(kThreads)), "spinning 4");
	for (int i = 0; i < kReplaceRounds; i++) {
		CmdResult r = graft("load", {patch_path("cons-codec")});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("load", {patch_path("cons-idle-replace")});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("unload", {"cons-codec"}); // replaced: no disable needed
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("disable", {"cons-idle-replace"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("unload", {"cons-idle-replace"});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
	}
	Counts c = stop_spinning(*target);
	EXPECT_GT(c.calls, 0);
	EXPECT_EQ(c.mismatches, 0) << "a thread ran f and g of different versions in one h";
}

// The control: the same load with the model switched off shows mismatches, so the test
// above can fail. Stops as soon as they appear.
TEST_F(Consistency, WithoutTheModelThreadsMixVersions)
{
	start(false);
	// A longer pause widens the window between f and g: more flips land inside it.
	ASSERT_EQ(target->ask("pause 3000"), "pause 3000");
	ASSERT_EQ(target->ask("spin " + std::to_string(kThreads)), "spinning 4");
	ASSERT_EQ(graft("load", {patch_path("cons-codec")}).status, 0);
	long seen = 0;
	int rounds = 0;
	for (; rounds < kRounds && seen == 0; rounds++) {
		ASSERT_EQ(graft("disable", {"cons-codec"}).status, 0);
		ASSERT_EQ(graft("enable", {"cons-codec"}).status, 0);
		if (rounds % 5 == 4)
			seen = number_after(target->ask("mismatches"), "mismatches");
	}
	Counts c = stop_spinning(*target);
	EXPECT_GT(c.calls, 0);
	EXPECT_GT(c.mismatches, 0) << "no mismatch in " << rounds
				   << " rounds: this machine cannot show what the model prevents";
	RecordProperty("rounds_until_mismatch", rounds);
}

} // namespace
