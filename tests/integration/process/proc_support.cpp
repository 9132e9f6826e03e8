// SPDX-License-Identifier: MIT
// proc_support.cpp - helpers of the process tests (see proc_support.hpp).
#include "proc_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"

namespace graft::test::proc {
namespace {

using Clock = std::chrono::steady_clock;

void pause_briefly()
{
	std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

} // namespace

std::string fixture(const std::string &name)
{
	return out_dir() + "/itest-process/" + name;
}

std::string patch(const std::string &name)
{
	return fixture("patches/" + name + ".so");
}

bool wait_for(const std::function<bool()> &pred, int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	for (;;) {
		if (pred())
			return true;
		if (Clock::now() > deadline)
			return pred();
		pause_briefly();
	}
}

std::vector<std::string> patches_of(pid_t pid)
{
	CmdResult r = run_graft({"list", std::to_string(pid), "--json"});
	if (r.status != 0)
		return {"error: " + r.err};
	std::vector<std::string> names;
	auto reply = nlohmann::json::parse(r.out, nullptr, false);
	if (reply.is_discarded() || !reply.contains("patches"))
		return {"error: unreadable reply: " + r.out};
	for (const auto &p : reply["patches"])
		names.push_back(p.value("name", "?") + (p.value("enabled", false) ? "+" : "-"));
	return names;
}

std::string log_of(pid_t pid)
{
	CmdResult r = run_graft({"log", std::to_string(pid), "--no-time"});
	return r.status == 0 ? r.out : "";
}

FifoPeer::FifoPeer(const std::string &dir)
    : in_path_(dir + "/child-in")
    , out_path_(dir + "/child-out")
{
	mkfifo(in_path_.c_str(), 0600);
	mkfifo(out_path_.c_str(), 0600);
}

FifoPeer::~FifoPeer()
{
	close_input();
	if (out_ >= 0)
		close(out_);
	unlink(in_path_.c_str());
	unlink(out_path_.c_str());
}

bool FifoPeer::connect(int timeout_sec)
{
	// Non-blocking opens, so a child that never comes cannot hang the test: opening
	// IN for writing fails with ENXIO until the child has opened it for reading.
	bool ok = wait_for(
		[&] {
			in_ = open(in_path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
			return in_ >= 0;
		},
		timeout_sec);
	if (!ok)
		return false;
	fcntl(in_, F_SETFL, fcntl(in_, F_GETFL) & ~O_NONBLOCK);
	out_ = open(out_path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return out_ >= 0;
}

std::string FifoPeer::read_line(int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	while (Clock::now() < deadline) {
		size_t nl = buffer_.find('\n');
		if (nl != std::string::npos) {
			std::string line = buffer_.substr(0, nl);
			buffer_.erase(0, nl + 1);
			heard_ = true;
			return line;
		}
		pollfd pfd{out_, POLLIN, 0};
		poll(&pfd, 1, 100);
		char buf[4096];
		ssize_t n = read(out_, buf, sizeof(buf));
		if (n > 0)
			buffer_.append(buf, size_t(n));
		else if (n == 0 && heard_)
			return ""; // the child closed its end
		else if (n == 0 || errno == EAGAIN)
			pause_briefly(); // no writer yet, or nothing to read yet
	}
	return "";
}

std::string FifoPeer::ask(const std::string &command, int timeout_sec)
{
	std::string line = command + "\n";
	if (in_ < 0 || write(in_, line.data(), line.size()) != ssize_t(line.size()))
		return "";
	return read_line(timeout_sec);
}

void FifoPeer::close_input()
{
	if (in_ >= 0)
		close(in_);
	in_ = -1;
}

KillGuard::~KillGuard()
{
	if (pid_ > 0)
		kill(pid_, SIGKILL);
}

} // namespace graft::test::proc
