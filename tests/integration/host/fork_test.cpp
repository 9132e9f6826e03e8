// SPDX-License-Identifier: MIT
// fork_test.cpp - fork as lttng-ust does it (issue 13): a fork while another thread
// holds the log ring's lock must not leave the child hanging in the runtime's fork
// handler, which logs. 200 forks against a thread that logs without pause; the log is
// mirrored to /dev/null so that the lock is held across a write() each time.
#include <gtest/gtest.h>

#include "process.hpp"

using namespace graft::test;

namespace {

TEST(ForkLog, ForkWhileAnotherThreadLogsNeverHangsTheChild)
{
	RuntimeDir dir;
	CmdResult r = run({"env", "GRAFT_LOG=/dev/null", out_dir() + "/bin/graft", "run", "--",
			   out_dir() + "/itest-host/fork-log", "200"},
			  300);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "forks ok 200\n") << r.err;
}

} // namespace
