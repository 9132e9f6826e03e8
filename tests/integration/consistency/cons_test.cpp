// SPDX-License-Identifier: MIT
// cons_test.cpp - the consistency tests' fixture.
#include "cons_test.hpp"

#include <cstdlib>

namespace graft::test {

void Consistency::TearDown()
{
	if (!target)
		return;
	if (expect_clean_exit && target->alive()) {
		target->ask("quit", 5);
		EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
	}
}

void Consistency::start(bool model)
{
	std::unique_ptr<ScopedEnv> env;
	if (!model)
		env = std::make_unique<ScopedEnv>("GRAFT_TEST_CONSISTENCY", "off");
	target = std::make_unique<Target>(out_dir() + "/itest-cons/cons-target");
	ASSERT_EQ(target->read_line(), "ready");
	ASSERT_TRUE(target->wait_ready());
	ipid = target->pid();
	pid = std::to_string(ipid);
}

std::string Consistency::patch_path(const std::string &name)
{
	return out_dir() + "/itest-cons/patches/" + name + ".so";
}

CmdResult Consistency::graft(const std::string &verb, const std::vector<std::string> &args,
			     int timeout_sec)
{
	std::vector<std::string> argv{verb, pid};
	argv.insert(argv.end(), args.begin(), args.end());
	return run_graft(argv, timeout_sec);
}

long Consistency::ask_number(const std::string &command, const std::string &key)
{
	std::string reply = target->ask(command);
	EXPECT_EQ(reply.rfind(key + " ", 0), 0u) << command << " -> '" << reply << "'";
	return number_after(reply, key);
}

::testing::AssertionResult Consistency::held_only_by(int tid, TransitionStatus *s, int timeout_sec)
{
	bool ok = wait_status(
		ipid,
		[tid](const TransitionStatus &st) {
			return st.active && st.holding.size() == 1 && st.find(tid);
		},
		timeout_sec, s);
	if (ok)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << "the transition is not held by tid " << tid << " alone: " << s->raw << s->err;
}

::testing::AssertionResult Consistency::completes(int timeout_sec)
{
	TransitionStatus s;
	if (wait_no_transition(ipid, timeout_sec, &s))
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << "still in transition after " << timeout_sec << " s: " << s.raw << s.err;
}

void BusyConsistency::SetUp()
{
	start();
	if (HasFatalFailure())
		return;
	busy_tid = int(ask_number("busy", "busy"));
	ASSERT_GT(busy_tid, 0);
	// Parked in read() inside busymod_work_func before any patch arrives.
	ASSERT_TRUE(wait_thread_asleep(ipid, busy_tid));
}

} // namespace graft::test
