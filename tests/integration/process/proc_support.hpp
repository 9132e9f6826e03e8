// SPDX-License-Identifier: MIT
// proc_support.hpp - helpers of the process tests: paths of their fixtures, condition
// waits with deadlines, the patch names `graft list` reports, and a FIFO line channel to
// a forked child of the target.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace graft::test::proc {

std::string fixture(const std::string &name); // out/itest-process/NAME
std::string patch(const std::string &name);   // out/itest-process/patches/NAME.so

// Polls pred until it is true or timeout_sec passed; returns its last value.
bool wait_for(const std::function<bool()> &pred, int timeout_sec = 30);

// Names of the patches `graft list PID --json` reports, each with "+" (enabled) or "-"
// appended, e.g. {"proc-answer+"}; {"error: ..."} if the command failed.
std::vector<std::string> patches_of(pid_t pid);

// `graft log PID --no-time` (empty if the command failed).
std::string log_of(pid_t pid);

// Two FIFOs in dir that a forked child of proc-target opens (`fork IN OUT`): the test
// writes commands to IN and reads answers from OUT, one line each.
class FifoPeer {
public:
	explicit FifoPeer(const std::string &dir);
	~FifoPeer();
	std::string fork_command() const { return "fork " + in_path_ + " " + out_path_; }
	// Opens both ends once the child opened its own; false at the deadline.
	bool connect(int timeout_sec = 30);
	std::string ask(const std::string &command, int timeout_sec = 30);
	std::string read_line(int timeout_sec = 30);
	void close_input();

private:
	std::string in_path_, out_path_;
	int in_ = -1, out_ = -1;
	bool heard_ = false; // a line came: EOF on OUT now means the child closed it
	std::string buffer_;
};

// Kills pid at scope exit unless released: a forked child of a target is not the
// test's child, so nothing else would stop it if the test fails half-way.
class KillGuard {
public:
	explicit KillGuard(pid_t pid)
	    : pid_(pid)
	{
	}
	~KillGuard();
	void release() { pid_ = -1; }

private:
	pid_t pid_;
};

} // namespace graft::test::proc
