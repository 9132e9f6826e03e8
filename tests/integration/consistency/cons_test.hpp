// SPDX-License-Identifier: MIT
// cons_test.hpp - the consistency tests' fixture: one cons-target process under the
// runtime (model on, or off through GRAFT_TEST_CONSISTENCY=off), its patches, and small
// parsers for its reply lines.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "process.hpp"
#include "transition.hpp"

namespace graft::test {

class Consistency : public ::testing::Test {
protected:
	void TearDown() override;

	// Starts the target (GRAFT_TEST_CONSISTENCY=off when !model) and waits for its socket.
	void start(bool model = true);
	static std::string patch_path(const std::string &name);
	// `graft ARGS...` with PID inserted after the verb: graft("load", {file, "--no-wait"}).
	CmdResult graft(const std::string &verb, const std::vector<std::string> &args = {},
			int timeout_sec = 120);
	// Asks the target, checks the reply starts with key, returns the number after it.
	long ask_number(const std::string &command, const std::string &key);
	// Waits until the transition is held by exactly the thread tid (every other thread,
	// including the main command thread, has switched); its status in *s.
	::testing::AssertionResult held_only_by(int tid, TransitionStatus *s, int timeout_sec = 30);
	::testing::AssertionResult completes(int timeout_sec = 30);

	RuntimeDir rundir;
	std::unique_ptr<Target> target;
	std::string pid;
	pid_t ipid = -1;
	bool expect_clean_exit = true;
};

// A Consistency test whose busy thread parks in busymod_work_func before the test body.
class BusyConsistency : public Consistency {
protected:
	void SetUp() override;
	int busy_tid = -1;
};

} // namespace graft::test
