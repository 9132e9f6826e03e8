// SPDX-License-Identifier: MIT
// transition.cpp - integration-test support for the consistency model.
#include "transition.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "process.hpp"

namespace graft::test {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

void parse_transition(const json &t, TransitionStatus *s)
{
	s->active = true;
	s->patch = t.value("patch", "");
	s->direction = t.value("direction", "");
	s->threads_total = t.value("threads_total", 0);
	s->threads_switched = t.value("threads_switched", 0);
	s->elapsed_usec = t.value("elapsed_usec", 0ULL);
	if (!t.contains("holding") || !t["holding"].is_array())
		return;
	for (const auto &h : t["holding"]) {
		HoldingThread ht;
		ht.tid = h.value("tid", 0);
		ht.name = h.value("name", "");
		ht.reason = h.value("reason", "");
		s->holding.push_back(ht);
	}
}

} // namespace

const HoldingThread *TransitionStatus::find(int tid) const
{
	for (const auto &h : holding)
		if (h.tid == tid)
			return &h;
	return nullptr;
}

TransitionStatus graft_status(pid_t pid)
{
	TransitionStatus s;
	CmdResult r = run_graft({"status", std::to_string(pid), "--json"}, 30);
	s.raw = r.out;
	s.err = r.err;
	if (r.status != 0)
		return s;
	json j = json::parse(r.out, nullptr, false);
	if (j.is_discarded() || !j.is_object() || !j.value("ok", false))
		return s;
	s.ok = true;
	if (j.contains("transition") && j["transition"].is_object())
		parse_transition(j["transition"], &s);
	return s;
}

bool wait_status(pid_t pid, const std::function<bool(const TransitionStatus &)> &pred,
		 int timeout_sec, TransitionStatus *last)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	for (;;) {
		TransitionStatus s = graft_status(pid);
		bool done = s.ok && pred(s);
		if (last)
			*last = s;
		if (done)
			return true;
		if (Clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

bool wait_no_transition(pid_t pid, int timeout_sec, TransitionStatus *last)
{
	return wait_status(
		pid, [](const TransitionStatus &s) { return !s.active; }, timeout_sec, last);
}

std::string graft_log(pid_t pid)
{
	CmdResult r = run_graft({"log", std::to_string(pid), "--no-time"}, 30);
	return r.status == 0 ? r.out : "";
}

bool wait_log(pid_t pid, const std::string &text, int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	for (;;) {
		if (graft_log(pid).find(text) != std::string::npos)
			return true;
		if (Clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

ScopedEnv::ScopedEnv(const std::string &name, const std::string &value)
    : name_(name)
{
	if (const char *v = getenv(name.c_str())) {
		had_ = true;
		old_ = v;
	}
	setenv(name.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv()
{
	if (had_)
		setenv(name_.c_str(), old_.c_str(), 1);
	else
		unsetenv(name_.c_str());
}

char thread_state(pid_t pid, int tid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	// "tid (comm) S ...": comm may hold spaces and parentheses, so look after the last ')'.
	size_t close = text.rfind(')');
	if (close == std::string::npos || close + 2 >= text.size())
		return 0;
	return text[close + 2];
}

bool wait_thread_asleep(pid_t pid, int tid, int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	for (;;) {
		char st = thread_state(pid, tid);
		if (st == 'S' || st == 'D')
			return true;
		if (st == 0 || Clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

} // namespace graft::test
