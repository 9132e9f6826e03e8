// SPDX-License-Identifier: MIT
// process.hpp - integration-test support: run the graft command, and start a target
// program under the runtime and talk to it line by line. Every wait has a deadline and
// waits for a condition, never for a fixed time.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

// Defined when the tests are built with AddressSanitizer (GCC or Clang): fewer rounds.
#if defined(__SANITIZE_ADDRESS__)
#define GRAFT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAFT_TEST_ASAN 1
#endif
#endif

namespace graft::test {

// The rounds a repeated-transition test runs: n, or a quarter of n under AddressSanitizer,
// where a round costs 3 to 4 times as much. The suite's time budget, not a weaker check
// per round: the GCC configuration runs them all.
constexpr int test_rounds(int n)
{
#ifdef GRAFT_TEST_ASAN
	return n / 4;
#else
	return n;
#endif
}

// The build's output directory (bin/, lib/, samples/, itest/).
std::string out_dir();

struct CmdResult {
	int status = -1; // exit code, or 128 + signal
	std::string out;
	std::string err;
};

// Runs argv to completion (stdin empty), capturing stdout and stderr.
CmdResult run(const std::vector<std::string> &argv, int timeout_sec = 120);
// Runs out/bin/graft with args.
CmdResult run_graft(const std::vector<std::string> &args, int timeout_sec = 120);

// A private GRAFT_RUNTIME_DIR for one test (set in this process's environment so the
// targets and graft commands it starts share it); removed at the end.
class RuntimeDir {
public:
	RuntimeDir();
	~RuntimeDir();
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

// A target started with `graft run [pre_args...] -- program args...`, its stdin and
// stdout connected to the test. Killed at the end if still running.
class Target {
public:
	Target(const std::string &program, const std::vector<std::string> &args = {},
	       const std::vector<std::string> &run_args = {});
	// Starts program itself, without `graft run` (no LD_PRELOAD added): for programs
	// that link the runtime directly, or that must run without it.
	struct Direct {};
	Target(Direct, const std::string &program, const std::vector<std::string> &args = {});
	~Target();
	pid_t pid() const { return pid_; }
	// Sends one command line and returns the next output line ("" on timeout or EOF).
	std::string ask(const std::string &command, int timeout_sec = 60);
	// The next output line, waiting at most timeout_sec.
	std::string read_line(int timeout_sec = 60);
	// True once the runtime's control socket accepts `graft list`.
	bool wait_ready(int timeout_sec = 60);
	bool alive();
	// The exit status once it is known (128 + signal when killed), else -1.
	int exit_status() const { return status_; }
	// Closes stdin and waits for the exit status (-1 on timeout).
	int finish(int timeout_sec = 60);

private:
	void start(const std::vector<std::string> &argv);

	pid_t pid_ = -1;
	int in_ = -1, out_ = -1;
	std::string buffer_;
	int status_ = -1;
};

// A /bin/sh command for a new mount namespace (`unshare -m`): mounts an empty tmpfs on
// /tmp, keeps the build's output directory visible at its own path (it may itself be
// below /tmp, as in a CI clone there), then runs `then`.
std::string private_tmp_then(const std::string &then);

// The number after "key " in line ("mismatches 0" -> 0), or -1 when there is none.
long number_after(const std::string &line, const std::string &key);

// Splits text into lines.
std::vector<std::string> lines_of(const std::string &text);

} // namespace graft::test
