// SPDX-License-Identifier: MIT
// transition.hpp - integration-test support for the consistency model: read a target's
// transition through `graft status --json`, wait for conditions on it, read its log,
// set environment variables for the targets a test starts, look at a thread from /proc.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace graft::test {

struct HoldingThread {
	int tid = 0;
	std::string name;
	std::string reason;
};

// `graft status PID --json`, parsed. ok is false when the command failed (err says why).
struct TransitionStatus {
	bool ok = false;
	bool active = false; // "transition" is an object, not null
	std::string patch;
	std::string direction;
	int threads_total = 0;
	int threads_switched = 0;
	unsigned long long elapsed_usec = 0;
	std::vector<HoldingThread> holding;
	std::string raw; // the command's stdout
	std::string err; // its stderr
	const HoldingThread *find(int tid) const;
};

TransitionStatus graft_status(pid_t pid);

// Polls `graft status` until pred holds (true) or the deadline passes (false); *last
// (if given) gets the last status seen either way.
bool wait_status(pid_t pid, const std::function<bool(const TransitionStatus &)> &pred,
		 int timeout_sec, TransitionStatus *last = nullptr);
// Until no transition runs.
bool wait_no_transition(pid_t pid, int timeout_sec = 30, TransitionStatus *last = nullptr);

// The runtime log's text (`graft log PID --no-time`), "" if the command failed.
std::string graft_log(pid_t pid);
// Polls the log until it contains text.
bool wait_log(pid_t pid, const std::string &text, int timeout_sec = 30);

// Sets an environment variable for as long as it lives (restoring the old value), so
// that targets started meanwhile inherit it.
class ScopedEnv {
public:
	ScopedEnv(const std::string &name, const std::string &value);
	~ScopedEnv();
	ScopedEnv(const ScopedEnv &) = delete;
	ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
	std::string name_;
	bool had_ = false;
	std::string old_;
};

// The state letter of /proc/PID/task/TID/stat ('R', 'S', ...), 0 if it is gone.
char thread_state(pid_t pid, int tid);
// Polls until the thread is asleep ('S' or 'D') or the deadline passes.
bool wait_thread_asleep(pid_t pid, int tid, int timeout_sec = 30);

} // namespace graft::test
