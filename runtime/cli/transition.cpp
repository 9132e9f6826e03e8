// SPDX-License-Identifier: MIT
// transition.cpp - graft status / force, and waiting for the transition that load,
// enable and disable start (polling `status`, with a progress line on a terminal).
#include "cli.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "control/protocol.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;
using Clock = std::chrono::steady_clock;

// How often a waiting command asks for the transition's state: often enough that a
// transition of a few milliseconds returns promptly, cheap for the control thread.
constexpr auto kPollInterval = std::chrono::milliseconds(25);

std::string pid_str(pid_t pid)
{
	return std::to_string(pid);
}

// "2 of 64 threads hold it" / "1 of 64 threads holds it".
std::string holding_count(const json &t)
{
	uint64_t total = num(t, field::threads_total), done = num(t, field::threads_switched);
	uint64_t left = done < total ? total - done : 0;
	return std::to_string(left) + " of " + std::to_string(total) +
	       (left == 1 ? " threads holds it" : " threads hold it");
}

// The progress line on stderr, only when it is a terminal; erased at the end so that
// the final message starts on a clean line.
class Progress {
public:
	Progress()
	    : tty_(isatty(STDERR_FILENO) == 1)
	{
	}
	~Progress() { clear(); }
	Progress(const Progress &) = delete;
	Progress &operator=(const Progress &) = delete;

	void show(const json &t)
	{
		if (!tty_)
			return;
		std::string line = str(t, field::direction) + " '" + str(t, field::patch) +
				   "': " + std::to_string(num(t, field::threads_switched)) + "/" +
				   std::to_string(num(t, field::threads_total)) +
				   " threads switched";
		if (line == shown_)
			return;
		std::fprintf(stderr, "\r%s\033[K", line.c_str());
		std::fflush(stderr);
		shown_ = line;
	}
	void clear()
	{
		if (shown_.empty())
			return;
		std::fputs("\r\033[K", stderr);
		std::fflush(stderr);
		shown_.clear();
	}

private:
	bool tty_;
	std::string shown_;
};

// One `status` request; returns its "transition" (an object or null).
// A server at its bound on clients (busy) is asked again until timeout_sec: the
// operation this waits for has happened, and a busy server must not turn it into a
// failure (or into a retry that repeats it).
json fetch_transition(pid_t pid, int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	json reply = request(pid, json{{field::cmd, control::cmd::status}}, timeout_sec);
	while (!reply[field::ok].get<bool>() && reply.value(field::busy, false) &&
	       Clock::now() < deadline) {
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
		reply = request(pid, json{{field::cmd, control::cmd::status}}, timeout_sec);
	}
	if (!reply[field::ok].get<bool>())
		throw Failure{kExitFailed, "cannot read the transition status of " + pid_str(pid) +
						   ": " + reply_error(reply)};
	auto it = reply.find(field::transition);
	return it != reply.end() && it->is_object() ? *it : json(nullptr);
}

// The transition of `patch` now, or null if none runs for it. A process that is gone
// is reported as such: the wait cannot end the way the user asked for.
json transition_of(pid_t pid, const std::string &patch, const std::string &doing,
		   Clock::time_point deadline)
{
	auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
	int timeout = int(std::clamp<long long>(left.count() + 1, 1, kQueryTimeoutSec));
	json t;
	try {
		t = fetch_transition(pid, timeout);
	} catch (const Failure &f) {
		if (f.process_gone || !process_alive(pid))
			throw Failure{kExitFailed,
				      "process " + pid_str(pid) + " exited while patch '" + patch +
					      "' was " + doing,
				      true};
		throw;
	}
	return t.is_object() && str(t, field::patch) == patch ? t : json(nullptr);
}

// Polls until no transition of `patch` runs or the deadline passes; returns the
// transition as last seen (null: it completed).
json wait_for(pid_t pid, const std::string &patch, std::string *doing, Clock::time_point deadline)
{
	Progress progress;
	for (;;) {
		json t = transition_of(pid, patch, *doing, deadline);
		if (t.is_null())
			return t;
		*doing = str(t, field::direction); // a disable may have reversed it
		if (Clock::now() >= deadline)
			return t;
		progress.show(t);
		std::this_thread::sleep_for(kPollInterval);
	}
}

std::string elapsed_text(uint64_t usec)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.1f s", double(usec) / 1e6);
	return buf;
}

void print_transition(const json &t)
{
	std::printf("patch '%s' is %s: %" PRIu64 " of %" PRIu64 " threads switched (%s)\n",
		    str(t, field::patch).c_str(), str(t, field::direction).c_str(),
		    num(t, field::threads_switched), num(t, field::threads_total),
		    elapsed_text(num(t, field::elapsed_usec)).c_str());
	std::vector<std::string> who;
	size_t width = 0;
	for (const json &h : array_of(t, field::holding)) {
		// A suspended fiber (tid 0) is named by the runtime: "fiber N".
		uint64_t tid = num(h, field::tid);
		who.push_back(tid ? "tid " + std::to_string(tid) + " (" + str(h, field::name) + ")"
				  : str(h, field::name));
		width = std::max(width, who.back().size());
	}
	size_t i = 0;
	for (const json &h : array_of(t, field::holding))
		std::printf("  %-*s  %s\n", int(width), who[i++].c_str(),
			    str(h, field::reason).c_str());
}

} // namespace

int finish_transition(pid_t pid, const std::string &patch, const std::string &doing, json reply,
		      const std::string &done, const Options &opt)
{
	auto deadline = Clock::now() + std::chrono::seconds(opt.timeout_sec);
	std::string direction = doing;
	// A runtime that sends the transition with its reply spares the first `status`
	// request: null, or another patch's, means this one's is over. One that sends none
	// is asked. --no-wait asks (at most) once, so that the result says whether it
	// already completed.
	auto sent = reply.find(field::transition);
	bool known = sent != reply.end() && (sent->is_null() || sent->is_object());
	json t = known && sent->is_object() && str(*sent, field::patch) == patch ? *sent
										 : json(nullptr);
	if (!known && opt.no_wait)
		t = transition_of(pid, patch, doing, deadline);
	else if ((!known || t.is_object()) && !opt.no_wait)
		t = wait_for(pid, patch, &direction, deadline);
	if (t.is_object())
		direction = str(t, field::direction);
	reply["complete"] = t.is_null();
	reply[field::transition] = t;
	if (opt.json)
		print_json(reply);
	if (t.is_null() || opt.no_wait) {
		if (!opt.json)
			std::cout << done
				  << (t.is_null()
					      ? ""
					      : "; " + direction +
							" goes on in the background (see 'graft "
							"status " +
							pid_str(pid) + "')")
				  << '\n';
		return kExitOk;
	}
	std::cerr << "graft: patch '" << patch << "' is still " << direction << " after "
		  << opt.timeout_sec << " s: " << holding_count(t) << " (see 'graft status " << pid
		  << "'); it goes on in the background\n";
	return kExitTransition;
}

int cmd_status(pid_t pid, const Options &opt)
{
	json reply = request(pid, json{{field::cmd, control::cmd::status}}, kQueryTimeoutSec);
	if (opt.json)
		print_json(reply);
	if (!reply[field::ok].get<bool>()) {
		std::cerr << "graft: cannot read the transition status of " << pid << ": "
			  << reply_error(reply) << '\n';
		return kExitFailed;
	}
	if (opt.json)
		return kExitOk;
	auto it = reply.find(field::transition);
	if (it == reply.end() || !it->is_object())
		std::printf("no transition in progress\n");
	else
		print_transition(*it);
	return kExitOk;
}

int cmd_force(pid_t pid, const Options &opt)
{
	json reply = request(pid, json{{field::cmd, control::cmd::force}}, kQueryTimeoutSec);
	if (opt.json)
		print_json(reply);
	if (!reply[field::ok].get<bool>()) {
		std::cerr << "graft: cannot force the transition in " << pid << ": "
			  << reply_error(reply) << '\n';
		return kExitFailed;
	}
	std::string patch = str(reply, field::patch), direction = str(reply, field::direction);
	if (!opt.json)
		std::cout << "forced patch '" << patch << "' to finish " << direction << " in "
			  << pid << '\n';
	std::cerr << "graft: warning: patch '" << patch
		  << "' was forced: its remaining threads switched without a stack check, and "
		     "it can no longer be unloaded\n";
	return kExitOk;
}

} // namespace graft::cli
