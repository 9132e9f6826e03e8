// SPDX-License-Identifier: MIT
// fault_test.cpp - the target survives faults around a patch operation (issue 13):
// the CLI SIGKILLed in the middle of a transition (the runtime keeps the transition; a
// new client sees it and finishes or reverses it), the target SIGSTOPped while a
// client waits (the client gives up with a clear message; nothing is half-applied
// after SIGCONT), graft's own allocations and mappings failing during a load, and the
// process out of descriptors (RLIMIT_NOFILE) during a load: each a clean refusal that
// leaves the process serving and nothing changed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "transition.hpp"

using namespace graft::test;

namespace {

std::string fixture(const std::string &name)
{
	return out_dir() + "/itest-host/" + name;
}

// `graft ARGS` started in the background, its output discarded: killed by the test.
pid_t spawn_graft(const std::vector<std::string> &args)
{
	std::vector<std::string> argv{out_dir() + "/bin/graft"};
	argv.insert(argv.end(), args.begin(), args.end());
	pid_t pid = fork();
	if (pid == 0) {
		std::vector<char *> v;
		for (auto &a : argv)
			v.push_back(a.data());
		v.push_back(nullptr);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(v[0], v.data());
		_exit(127);
	}
	return pid;
}

// Polls until pid has one socket left (the control socket's listener): the requests of
// clients that have gone were served.
bool wait_sockets_closed(pid_t pid)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	std::string dir = "/proc/" + std::to_string(pid) + "/fd";
	while (std::chrono::steady_clock::now() < deadline) {
		int sockets = 0;
		std::error_code ec;
		for (auto it = std::filesystem::directory_iterator(dir, ec);
		     !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
			sockets += std::filesystem::read_symlink(it->path(), ec)
					   .string()
					   .rfind("socket:", 0) == 0;
		if (sockets <= 1)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

bool patch_listed(pid_t pid, const std::string &name)
{
	CmdResult list = run_graft({"list", std::to_string(pid)});
	return list.status == 0 && list.out.find(name) != std::string::npos;
}

class Faults : public ::testing::Test {
public:
	RuntimeDir dir;
	Target target{fixture("fault-target"), {"2"}};
	std::string pid = std::to_string(target.pid());
	std::string patch = fixture("patches/fault-answer2.so");
	const std::string name = "fault-answer2";

	void SetUp() override
	{
		ASSERT_TRUE(target.wait_ready());
		ASSERT_EQ(target.ask("answer"), "1");
	}
	// After a request the process may or may not have carried out: whole or nothing,
	// i.e. listed and enabled with the new answer, or absent with the old one.
	void expect_whole_or_nothing()
	{
		// A request left by a client that gave up is served concurrently with ours, and
		// may still wait in the listener's backlog (no descriptor in the process yet)
		// when its accepted connections are gone: it can move the process from nothing
		// to whole while this looks. So the state is read until two listings around the
		// answer agree; a half-applied patch never does, and fails at the deadline.
		EXPECT_TRUE(wait_sockets_closed(target.pid()));
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
		std::string seen;
		while (std::chrono::steady_clock::now() < deadline) {
			TransitionStatus st;
			EXPECT_TRUE(wait_no_transition(target.pid(), 60, &st)) << st.raw;
			std::optional<bool> before = enabled_state();
			std::string answer = target.ask("answer");
			std::optional<bool> after = enabled_state();
			seen = "answer " + answer + ", enabled " +
			       (after ? std::to_string(*after) : std::string("?"));
			if (before && before == after && answer == (*after ? "2" : "1"))
				break;
			usleep(10 * 1000);
		}
		EXPECT_TRUE(std::chrono::steady_clock::now() < deadline) << seen;
		EXPECT_EQ(number_after(target.ask("stats"), "wrong"), 0);
	}
	// Whether `graft list` shows the patch enabled (false: absent or disabled); nullopt
	// when the listing fails.
	std::optional<bool> enabled_state()
	{
		CmdResult list = run_graft({"list", pid, "--json"});
		auto j = nlohmann::json::parse(list.out, nullptr, false);
		if (list.status != 0 || !j.is_object() || !j.contains("patches"))
			return std::nullopt;
		bool enabled = false;
		for (const auto &p : j["patches"])
			if (p.is_object() && p.value("name", "") == name)
				enabled = p.value("enabled", false);
		return enabled;
	}
	// The process still serves, and nothing of the patch is in it.
	void expect_unchanged(const std::string &what)
	{
		EXPECT_EQ(target.ask("answer"), "1") << what;
		EXPECT_FALSE(patch_listed(target.pid(), name)) << what;
		TransitionStatus st = graft_status(target.pid());
		EXPECT_TRUE(st.ok && !st.active) << what << ": " << st.raw << st.err;
		EXPECT_EQ(number_after(target.ask("stats"), "wrong"), 0) << what;
	}
	// Starts `graft load` with the transition held by a thread inside fault_answer,
	// and SIGKILLs the CLI once the runtime reports the transition.
	void kill_cli_mid_transition()
	{
		ASSERT_EQ(target.ask("hold"), "held");
		pid_t cli = spawn_graft({"load", pid, patch, "--timeout", "120"});
		TransitionStatus st;
		bool running = wait_status(
			target.pid(), [](const TransitionStatus &s) { return s.active; }, 60, &st);
		kill(cli, SIGKILL);
		int status = 0;
		waitpid(cli, &status, 0);
		ASSERT_TRUE(running) << st.raw << st.err;
		ASSERT_TRUE(WIFSIGNALED(status)) << "graft load ended before it was killed";
		// A new client sees the truth: the patch loaded, in its patching transition.
		st = graft_status(target.pid());
		EXPECT_TRUE(st.active && st.patch == name && st.direction == "patching") << st.raw;
		EXPECT_TRUE(patch_listed(target.pid(), name));
	}
};

TEST_F(Faults, CliKilledMidTransitionThenFinished)
{
	kill_cli_mid_transition();
	EXPECT_EQ(target.ask("release"), "released");
	TransitionStatus st;
	EXPECT_TRUE(wait_no_transition(target.pid(), 60, &st)) << st.raw;
	EXPECT_EQ(target.ask("answer"), "2");
	EXPECT_EQ(number_after(target.ask("stats"), "wrong"), 0);
}

TEST_F(Faults, CliKilledMidTransitionThenReversed)
{
	kill_cli_mid_transition();
	// The reversal: the held thread never left the old code, so it completes.
	CmdResult disable = run_graft({"disable", pid, name, "--timeout", "60"});
	EXPECT_EQ(disable.status, 0) << "graft disable: " << disable.err;
	TransitionStatus st;
	EXPECT_TRUE(wait_no_transition(target.pid(), 60, &st)) << st.raw;
	EXPECT_EQ(target.ask("release"), "released");
	CmdResult unload = run_graft({"unload", pid, name});
	EXPECT_EQ(unload.status, 0) << "graft unload: " << unload.err;
	expect_unchanged("after the reversed transition");
}

// A stopped process cannot answer: the CLI says so at its deadline. Once continued,
// the request it left in the socket is either carried out whole or not at all.
TEST_F(Faults, TargetStoppedDuringRequest)
{
	ASSERT_EQ(kill(target.pid(), SIGSTOP), 0);
	CmdResult load = run_graft({"load", pid, patch, "--timeout", "2"});
	ASSERT_EQ(kill(target.pid(), SIGCONT), 0);
	EXPECT_EQ(load.status, 1);
	EXPECT_NE(load.err.find("no reply from process " + pid + " within 2 s"), std::string::npos)
		<< load.err;
	EXPECT_NE(load.err.find("the request may still complete"), std::string::npos) << load.err;
	expect_whole_or_nothing();
}

// Stopped in the middle of a transition, the process cannot answer a disable: graft
// gives up with the reason; after SIGCONT the transition ends one way or the other.
TEST_F(Faults, TargetStoppedDuringTransition)
{
	ASSERT_EQ(target.ask("hold"), "held");
	CmdResult load = run_graft({"load", pid, patch, "--no-wait"});
	ASSERT_EQ(load.status, 0) << load.err;
	ASSERT_EQ(kill(target.pid(), SIGSTOP), 0);
	CmdResult disable = run_graft({"disable", pid, name, "--timeout", "2"});
	ASSERT_EQ(kill(target.pid(), SIGCONT), 0);
	EXPECT_EQ(disable.status, 1);
	EXPECT_NE(disable.err.find("no reply from process " + pid + " within 2 s"),
		  std::string::npos)
		<< disable.err;
	EXPECT_EQ(target.ask("release"), "released");
	expect_whole_or_nothing();
}

// The RLIMIT_NOFILE that leaves pid exactly k free descriptor numbers (the limit
// bounds the number a new descriptor gets, not how many are open).
rlim_t limit_leaving(pid_t pid, long k)
{
	std::set<long> open;
	std::error_code ec;
	for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd",
							   ec);
	     !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
		open.insert(std::stol(it->path().filename().string()));
	for (long fd = 0, free = 0;; fd++)
		if (!open.count(fd) && free++ == k)
			return rlim_t(fd);
}

#ifndef GRAFT_TEST_ASAN
// Fails the Nth allocation (or mapping) of graft's control threads and every later
// one, for growing N, until a load gets through. Every load before is refused with a
// reason and leaves the process serving, the patch whole or absent (a failure after
// the transition started leaves it loaded: the reply, not the load, failed).
void sweep_faults(Faults &t, Target &target, const std::string &kind)
{
	const std::string pid = std::to_string(target.pid());
	int refused = 0;
	bool loaded = false;
	for (long n = 1, prev = 1; n < 1000000 && !loaded; std::swap(n, prev), n += prev) {
		ASSERT_EQ(target.ask("arm " + kind + " " + std::to_string(n)), "armed");
		CmdResult load = run_graft({"load", pid, t.patch, "--timeout", "60"});
		long failed = number_after(target.ask("disarm"), "disarmed");
		SCOPED_TRACE(kind + " failing from call " + std::to_string(n) + ": " + load.err);
		if (load.status == 0)
			break;
		refused++;
		EXPECT_EQ(load.status, 1);
		EXPECT_GT(failed, 0) << "refused without an injected failure";
		// The reason, or (when even reading the request failed) the connection closed
		// without a reply, which the CLI reports as such.
		EXPECT_TRUE(load.err.find(kind == "malloc"
						  ? "out of memory"
						  : "no free address range") != std::string::npos ||
			    load.err.find("closed the connection without replying") !=
				    std::string::npos);
		t.expect_whole_or_nothing();
		loaded = patch_listed(target.pid(), t.name);
		if (::testing::Test::HasFailure())
			return;
	}
	// graft maps little during a load (its stub pages): one refusal shows the path.
	EXPECT_GT(refused, kind == "malloc" ? 3 : 0) << "the sweep refused too few loads";
	TransitionStatus st;
	EXPECT_TRUE(wait_no_transition(target.pid(), 60, &st)) << st.raw;
	EXPECT_EQ(target.ask("answer"), "2");
}
#endif

} // namespace

TEST_F(Faults, AllocationFailuresDuringLoad)
{
#ifdef GRAFT_TEST_ASAN
	GTEST_SKIP() << "AddressSanitizer owns malloc: the failing-malloc shim cannot be used";
#else
	sweep_faults(*this, target, "malloc");
#endif
}

TEST_F(Faults, MappingFailuresDuringLoad)
{
#ifdef GRAFT_TEST_ASAN
	GTEST_SKIP() << "AddressSanitizer owns malloc: the fault shim is not linked";
#else
	sweep_faults(*this, target, "mmap");
#endif
}

// The process's soft RLIMIT_NOFILE set (prlimit) to leave it k free descriptors, for
// growing k, until a load gets through: every load before is refused with the reason,
// and the process keeps serving unchanged.
TEST_F(Faults, OutOfDescriptorsDuringLoad)
{
	rlimit old{};
	ASSERT_EQ(prlimit(target.pid(), RLIMIT_NOFILE, nullptr, &old), 0);
	int refused = 0;
	bool loaded = false;
	for (long k = 1; k < 64 && !loaded; k++) {
		rlimit low = old;
		low.rlim_cur = limit_leaving(target.pid(), k);
		ASSERT_EQ(prlimit(target.pid(), RLIMIT_NOFILE, &low, nullptr), 0);
		CmdResult load = run_graft({"load", pid, patch, "--timeout", "60"});
		ASSERT_EQ(prlimit(target.pid(), RLIMIT_NOFILE, &old, nullptr), 0);
		if (load.status == 0) {
			loaded = true;
			break;
		}
		refused++;
		SCOPED_TRACE(std::to_string(k) + " free descriptors");
		EXPECT_EQ(load.status, 1) << load.err;
		EXPECT_NE(load.err.find("Too many open files"), std::string::npos) << load.err;
		expect_unchanged("out of descriptors: " + load.err);
		if (HasFailure())
			return;
	}
	EXPECT_TRUE(loaded) << "no load got through";
	EXPECT_GT(refused, 0) << "no load was refused: the limit did not bite";
	EXPECT_EQ(target.ask("answer"), "2");
}
