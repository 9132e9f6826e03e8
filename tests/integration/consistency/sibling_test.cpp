// SPDX-License-Identifier: MIT
// sibling_test.cpp - the consistency model on code whose last call is a sibling call
// (issue 12): run(x) ends in `jmp dec`, so run's frame is gone while dec runs. Five
// shapes (direct, through a function pointer, a chain of two, through the PLT into a
// shared library, a C++ method calling a virtual), each in a copy built with and one
// without -fpatchable-function-entry, spin while a patch of all of them is enabled and
// disabled; no thread may run an encoder and a decoder of different versions. The
// control: with the entry self-switch of before (GRAFT_TEST_ENTRY_SWITCH=any), threads
// entering dec by the sibling jump switch there, and mix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"
#include "transition.hpp"

using namespace graft::test;

namespace {

// 200 rounds (the bar); under AddressSanitizer, 50 (test_rounds).
constexpr int kRounds = test_rounds(200);

std::string sib_dir()
{
	return out_dir() + "/itest-cons";
}

// GetParam(): "plain" or "pfe", the copy the threads run.
class Sibling : public ::testing::TestWithParam<std::string> {
protected:
	void TearDown() override
	{
		if (target && target->alive()) {
			target->ask("quit", 5);
			EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
		}
	}
	void start(const char *entry_switch = nullptr)
	{
		std::unique_ptr<ScopedEnv> env;
		if (entry_switch)
			env = std::make_unique<ScopedEnv>("GRAFT_TEST_ENTRY_SWITCH", entry_switch);
		target = std::make_unique<Target>(sib_dir() + "/sib-target");
		ASSERT_EQ(target->read_line(), "ready");
		ASSERT_TRUE(target->wait_ready());
		pid = std::to_string(target->pid());
		ASSERT_EQ(target->ask("spin " + GetParam()), "spinning 5");
	}
	std::string patch_name() const { return GetParam() == "pfe" ? "cons-sib-pfe" : "cons-sib"; }
	CmdResult graft(const std::string &verb, const std::vector<std::string> &args)
	{
		std::vector<std::string> argv{verb, pid};
		argv.insert(argv.end(), args.begin(), args.end());
		return run_graft(argv, 120);
	}
	RuntimeDir rundir;
	std::unique_ptr<Target> target;
	std::string pid;
};

TEST_P(Sibling, NoThreadMixesVersionsThroughSiblingCalls)
{
	start();
	CmdResult r = graft("load", {sib_dir() + "/patches/" + patch_name() + ".so"});
	ASSERT_EQ(r.status, 0) << r.err;
	for (int i = 0; i < kRounds; i++) {
		r = graft("disable", {patch_name()});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
		r = graft("enable", {patch_name()});
		ASSERT_EQ(r.status, 0) << "round " << i << ": " << r.err;
	}
	std::string line = target->ask("stop");
	RecordProperty("result", line);
	// Every variant ran: "... direct C/M pointer C/M ..." with C > 0 and M == 0.
	for (const char *v : {"direct", "pointer", "chain", "plt", "method"}) {
		std::smatch m;
		std::string re = std::string(" ") + v + " ([0-9]+)/([0-9]+)";
		ASSERT_TRUE(std::regex_search(line, m, std::regex(re))) << line;
		EXPECT_GT(std::stol(m[1]), 0) << v << ": " << line;
		EXPECT_EQ(std::stol(m[2]), 0) << v << ": a thread mixed versions: " << line;
	}
}

// The entry self-switch of before: a thread entering dec by run's sibling jump has a
// clean stack (run's frame is gone) and switched there, running the new dec on what
// the old enc made. Stops as soon as mismatches appear.
TEST_P(Sibling, TheOldEntrySelfSwitchMixesVersions)
{
	start("any");
	ASSERT_EQ(graft("load", {sib_dir() + "/patches/" + patch_name() + ".so"}).status, 0);
	long seen = 0;
	int rounds = 0;
	for (; rounds < kRounds && seen <= 0; rounds++) {
		ASSERT_EQ(graft("disable", {patch_name()}).status, 0);
		ASSERT_EQ(graft("enable", {patch_name()}).status, 0);
		seen = number_after(target->ask("mismatches"), "mismatches");
	}
	std::string line = target->ask("stop");
	RecordProperty("rounds_until_mismatch", rounds);
	RecordProperty("result", line);
	EXPECT_GT(number_after(line, "mismatches"), 0)
		<< "no mismatch in " << rounds << " rounds with the old rule: " << line;
}

INSTANTIATE_TEST_SUITE_P(Copies, Sibling, ::testing::Values("plain", "pfe"),
			 [](const auto &info) { return info.param; });

// A detoured function whose first bytes hold a call (sib_block: the call to sib_sleep is
// relocated into the trampoline, which pushes the original return address, but the
// bytes before it are now the entry's jmp). A thread blocked in sib_sleep is inside the
// old sib_block: it holds the transition, checked from outside and, after a second, by
// graft's signal too; woken, it still calls the old sib_version (an entry check must
// not switch it either).
TEST(SiblingRelocatedCall, AThreadBlockedUnderARelocatedCallHoldsTheTransition)
{
	RuntimeDir rundir;
	Target target(sib_dir() + "/sib-target");
	ASSERT_EQ(target.read_line(), "ready");
	ASSERT_TRUE(target.wait_ready());
	pid_t ipid = target.pid();
	std::string pid = std::to_string(ipid);
	std::string line = target.ask("block");
	int tid = int(number_after(line, "blocked"));
	ASSERT_GT(tid, 0) << line;
	ASSERT_TRUE(wait_thread_asleep(ipid, tid));
	CmdResult r =
		run_graft({"load", pid, sib_dir() + "/patches/cons-sib-block.so", "--no-wait"});
	ASSERT_EQ(r.status, 0) << r.err;
	TransitionStatus s;
	// Held past the second after which blocked threads that hold are signalled and check
	// themselves with the unwinder.
	bool held = wait_status(
		ipid,
		[tid](const TransitionStatus &st) {
			return st.active && st.holding.size() == 1 && st.find(tid) &&
			       st.elapsed_usec > 2500000;
		},
		60, &s);
	EXPECT_TRUE(held) << "not held by the blocked thread: " << s.raw << s.err;
	EXPECT_TRUE(wait_log(ipid, "graft: signaling remaining threads")) << graft_log(ipid);
	EXPECT_TRUE(s.active) << s.raw;
	EXPECT_EQ(target.ask("release"), "released 1")
		<< "the old sib_block ran the new sib_version";
	EXPECT_TRUE(wait_no_transition(ipid, 60, &s)) << s.raw;
	target.ask("quit", 5);
	EXPECT_EQ(target.finish(), 0);
}

// After a failed try at sib_fnc's entry inside the old sib_fna, the thread's skips end
// when sib_fna returns: its next call, sib_fnb, has a clean stack and switches at its
// entry (architecture.md promises it), while sib_fnc, called inside the old sib_fna,
// ran the old version.
TEST(SiblingSkip, AHeldThreadSwitchesAtTheNextCleanEntry)
{
	RuntimeDir rundir;
	Target target(sib_dir() + "/sib-target");
	ASSERT_EQ(target.read_line(), "ready");
	ASSERT_TRUE(target.wait_ready());
	pid_t ipid = target.pid();
	std::string line = target.ask("contract");
	int tid = int(number_after(line, "waiting"));
	ASSERT_GT(tid, 0) << line;
	ASSERT_TRUE(wait_thread_asleep(ipid, tid));
	CmdResult r = run_graft({"load", std::to_string(ipid),
				 sib_dir() + "/patches/cons-sib-block.so", "--no-wait"});
	ASSERT_EQ(r.status, 0) << r.err;
	TransitionStatus s;
	EXPECT_TRUE(wait_status(
		ipid, [tid](const TransitionStatus &st) { return st.active && st.find(tid); }, 60,
		&s))
		<< s.raw << s.err;
	EXPECT_EQ(target.ask("go"), "fnc 1 fnb 2");
	EXPECT_TRUE(wait_no_transition(ipid, 60, &s)) << s.raw;
	target.ask("quit", 5);
	EXPECT_EQ(target.finish(), 0);
}

// The disassembly of fn in the objdump -d output of file: its instruction lines.
std::vector<std::string> disassembly(const std::string &file, const std::string &fn)
{
	CmdResult r = run({"objdump", "-d", "--no-show-raw-insn", "-C", file}, 60);
	std::vector<std::string> out;
	bool in = false;
	for (const std::string &l : lines_of(r.out)) {
		if (l.find(" <" + fn + ">:") != std::string::npos) {
			in = true;
			continue;
		}
		if (in && l.empty())
			break;
		if (in && l.find('\t') != std::string::npos)
			out.push_back(l);
	}
	return out;
}

// What the tests above stand on: each run ends in a jmp (a sibling call), in both copies,
// as the compiler of this build made them. If a compiler stops doing so, this fails
// rather than the tests above passing for the wrong reason.
TEST(SiblingShape, EveryRunEndsInAJump)
{
	const std::string exe = sib_dir() + "/sib-target";
	for (std::string sfx : {"", "_pfe"}) {
		std::string codec = sfx.empty() ? "SibCodec" : "SibCodec_pfe";
		for (const std::string &fn :
		     {"sib_run" + sfx, "sib_run_ptr" + sfx, "sib_run_chain" + sfx, "sib_mid" + sfx,
		      "sib_run_plt" + sfx, codec + "::run(long)"}) {
			std::vector<std::string> insns = disassembly(exe, fn);
			ASSERT_FALSE(insns.empty()) << fn << " not found in " << exe;
			// A jump out of the function: indirect, or to another symbol (not to
			// fn+offset). Sanitizer builds append cold report calls after it.
			bool sibling = false;
			for (const std::string &l : insns) {
				if (l.find("\tjmp ") == std::string::npos)
					continue;
				bool indirect = l.find('*') != std::string::npos;
				size_t lt = l.find('<');
				bool outside = lt != std::string::npos &&
					       l.compare(lt + 1, fn.size() + 1, fn + "+") != 0;
				sibling |= indirect || outside;
			}
			EXPECT_TRUE(sibling) << fn << " has no jump out of itself";
		}
	}
	// sib_block's call to sib_sleep starts within its first five bytes (the detour's
	// jmp), and it has no patchable entry.
	std::vector<std::string> block = disassembly(exe, "sib_block");
	ASSERT_GE(block.size(), 3u);
	EXPECT_THAT(block[0], ::testing::Not(::testing::HasSubstr("nop")));
	unsigned long start = std::stoul(block[0], nullptr, 16);
	bool early_call = false;
	for (size_t i = 0; i < 3; i++)
		early_call |= block[i].find("call") != std::string::npos &&
			      std::stoul(block[i], nullptr, 16) < start + 5;
	EXPECT_TRUE(early_call) << "no call starts in sib_block's first 5 bytes: " << block[0]
				<< "\n"
				<< block[1] << "\n"
				<< block[2];
}

} // namespace
