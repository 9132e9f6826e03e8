// SPDX-License-Identifier: MIT
// test_cli_transition.cpp - the built `graft` command and transitions (fake core):
// load/enable/disable waiting for them, --timeout and exit 3, --no-wait, the progress
// line on a terminal, status and force, the process exiting mid-wait.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "fake_core.hpp"
#include "server_util.hpp"

namespace graft::control {
namespace {

using json = nlohmann::json;
using test::Cli;
using test::CliRun;
using test::fake;
using test::fake_calls;
using test::run_cli;

core::TransitionView patching_fix()
{
	return core::TransitionView{true,
				    "fix",
				    "patching",
				    64,
				    62,
				    1200000,
				    {{1234, "worker-3", "sleeping in busymod_work_func"},
				     {1240, "blocker", "blocks the signal"}}};
}

// calls: `first` and then `polls` status requests.
std::vector<std::string> then_polls(const std::string &first, int polls)
{
	std::vector<std::string> v{first};
	v.insert(v.end(), size_t(polls), "status");
	return v;
}

TEST_F(Cli, EnableWaitsUntilTheTransitionCompletes)
{
	fake().transition = patching_fix();
	fake().active_polls = 3;
	CliRun r = run_cli("enable " + pid + " fix");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "enabled patch 'fix' in " + pid + "\n");
	EXPECT_EQ(r.err, ""); // stderr is no terminal: no progress line
	EXPECT_EQ(fake_calls(), then_polls("enable fix", 4));
}

TEST_F(Cli, LoadWaitsButNotWithoutEnable)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	fake().transition = patching_fix();
	fake().active_polls = 2;
	CliRun r = run_cli("load " + pid + " " + f + " --json");
	EXPECT_EQ(r.status, 0) << r.err;
	json j = json::parse(r.out);
	EXPECT_EQ(j["complete"], true);
	EXPECT_TRUE(j["transition"].is_null());
	EXPECT_EQ(j["name"], "fix");
	EXPECT_EQ(fake_calls(), then_polls("load " + f + " 1", 3));

	test::fake_reset();
	fake().transition = patching_fix();
	r = run_cli("load " + pid + " " + f + " --no-enable");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "loaded patch 'fix' into " + pid + " (not enabled)\n");
	EXPECT_EQ(fake_calls(), std::vector<std::string>{"load " + f + " 0"});
}

TEST_F(Cli, TimeoutLeavesItRunningWithExit3)
{
	fake().transition = patching_fix(); // never completes
	CliRun r = run_cli("enable " + pid + " fix --timeout 1");
	EXPECT_EQ(r.status, 3);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "graft: patch 'fix' is still patching after 1 s: 2 of 64 threads hold it "
			 "(see 'graft status " +
				 pid + "'); it goes on in the background\n");
	std::vector<std::string> calls = fake_calls();
	EXPECT_GE(calls.size(), 3u); // polled more than once in that second

	r = run_cli("--json enable " + pid + " fix --timeout 1");
	EXPECT_EQ(r.status, 3);
	json j = json::parse(r.out); // exactly one JSON document
	EXPECT_EQ(j["ok"], true);
	EXPECT_EQ(j["complete"], false);
	EXPECT_EQ(j["transition"]["threads_switched"], 62);
	EXPECT_NE(r.err.find("still patching after 1 s"), std::string::npos) << r.err;
}

TEST_F(Cli, NoWaitReturnsAtOnce)
{
	fake().transition = patching_fix();
	CliRun r = run_cli("enable " + pid + " fix --no-wait");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "enabled patch 'fix' in " + pid +
				 "; patching goes on in the background (see 'graft status " + pid +
				 "')\n");
	EXPECT_EQ(fake_calls(), then_polls("enable fix", 1));
	r = run_cli("enable " + pid + " fix --no-wait --json");
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(json::parse(r.out)["complete"], false);
}

TEST_F(Cli, DisableWaitsForTheReversedTransition)
{
	// Disabling the patch in transition reverses it: the CLI waits for the unpatching.
	core::TransitionView t = patching_fix();
	t.direction = "unpatching";
	fake().transition = t;
	fake().active_polls = 2;
	CliRun r = run_cli("disable " + pid + " fix");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "disabled patch 'fix' in " + pid + "\n");
	EXPECT_EQ(fake_calls(), then_polls("disable fix", 3));
}

TEST_F(Cli, AnotherPatchsTransitionIsNotWaitedFor)
{
	core::TransitionView t = patching_fix();
	t.patch = "other";
	fake().transition = t;
	CliRun r = run_cli("enable " + pid + " fix");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(fake_calls(), then_polls("enable fix", 1));
}

TEST_F(Cli, RefusedRequestIsExit1WithoutWaiting)
{
	fake().result =
		core::Result::fail("patch 'other' is in transition: wait for it or force it");
	fake().transition = patching_fix();
	CliRun r = run_cli("enable " + pid + " fix");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: cannot enable 'fix' in " + pid +
				 ": patch 'other' is in transition: wait for it or force it\n");
	EXPECT_EQ(fake_calls(), std::vector<std::string>{"enable fix"});
}

TEST_F(Cli, StatusHumanAndJson)
{
	CliRun r = run_cli("status " + pid);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "no transition in progress\n");
	r = run_cli("status " + pid + " --json");
	EXPECT_TRUE(json::parse(r.out)["transition"].is_null());

	fake().transition = patching_fix();
	r = run_cli("status " + pid);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "patch 'fix' is patching: 62 of 64 threads switched (1.2 s)\n"
			 "  tid 1234 (worker-3)  sleeping in busymod_work_func\n"
			 "  tid 1240 (blocker)   blocks the signal\n");
	r = run_cli("status " + pid + " --json");
	json j = json::parse(r.out);
	EXPECT_EQ(j["transition"]["holding"][1]["tid"], 1240);
	EXPECT_EQ(j["transition"]["elapsed_usec"], 1200000);
}

TEST_F(Cli, ForceWarnsOrFails)
{
	fake().transition = patching_fix();
	CliRun r = run_cli("force " + pid);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "forced patch 'fix' to finish patching in " + pid + "\n");
	EXPECT_EQ(r.err, "graft: warning: patch 'fix' was forced: its remaining threads switched "
			 "without a stack check, and it can no longer be unloaded\n");

	fake().force_result = core::Result::fail("no transition in progress");
	r = run_cli("force " + pid);
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err,
		  "graft: cannot force the transition in " + pid + ": no transition in progress\n");
	r = run_cli("force " + pid + " --json");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(json::parse(r.out)["ok"], false);
}

// A pseudo-terminal whose slave stays open here, so what the CLI wrote to it can be
// read from the master after the CLI exits.
struct Pty {
	int master = -1, slave = -1;
	std::string slave_path;
	Pty()
	{
		master = posix_openpt(O_RDWR | O_NOCTTY);
		if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
			return;
		slave_path = ptsname(master);
		slave = open(slave_path.c_str(), O_RDWR | O_NOCTTY);
		fcntl(master, F_SETFL, O_NONBLOCK);
	}
	~Pty()
	{
		if (slave >= 0)
			close(slave);
		if (master >= 0)
			close(master);
	}
	std::string drain()
	{
		std::string out;
		char buf[4096];
		ssize_t n;
		while ((n = read(master, buf, sizeof(buf))) > 0)
			out.append(buf, size_t(n));
		return out;
	}
};

TEST_F(Cli, ProgressLineOnlyOnATerminal)
{
	Pty pty;
	if (pty.slave < 0)
		GTEST_SKIP() << "no pseudo-terminal";
	fake().transition = patching_fix();
	fake().active_polls = 3;
	// stderr to the terminal; run_cli's own "2>" comes later and would win, so wrap.
	CliRun r = run_cli("enable " + pid + " fix 2>" + pty.slave_path + "; exit $?");
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "enabled patch 'fix' in " + pid + "\n");
	std::string tty = pty.drain();
	EXPECT_EQ(tty, "\rpatching 'fix': 62/64 threads switched\033[K\r\033[K");
}

// Serves one request on a listening socket: reads a line, answers `reply`.
void serve_one(int lfd, const std::string &reply)
{
	int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
	std::string buf;
	char c;
	while (recv(fd, &c, 1, 0) == 1 && c != '\n')
		buf += c;
	std::string line = reply + "\n";
	send(fd, line.data(), line.size(), MSG_NOSIGNAL);
	close(fd);
}

// A socket bound here and listened on by a forked child (graft checks who serves it),
// under the child's pid: the process the command talks to.
struct ChildServer {
	int lfd = -1;
	pid_t victim = -1;
	std::string vpid, vpath;
};

void serve_from_child(ChildServer *c)
{
	std::string path = socket_path(test::server_dir(), getpid() + 100000);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	ASSERT_EQ(bind(c->lfd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	c->victim = test::fork_listener(c->lfd);
	ASSERT_GT(c->victim, 0);
	c->vpid = std::to_string(c->victim);
	c->vpath = socket_path(test::server_dir(), c->victim);
	ASSERT_EQ(rename(path.c_str(), c->vpath.c_str()), 0);
}

TEST_F(Cli, ProcessExitingWhileWaiting)
{
	ChildServer c;
	ASSERT_NO_FATAL_FAILURE(serve_from_child(&c));
	int lfd = c.lfd;
	pid_t victim = c.victim;
	std::string vpid = c.vpid, vpath = c.vpath;
	json transition = {{"patch", "fix"},	 {"direction", "patching"},
			   {"threads_total", 2}, {"threads_switched", 1},
			   {"elapsed_usec", 5},	 {"holding", json::array()}};
	std::thread server([&] {
		serve_one(lfd, R"({"v":1,"ok":true,"name":"fix"})");
		serve_one(lfd, json{{"v", 1}, {"ok", true}, {"transition", transition}}.dump());
		kill(victim, SIGKILL);
		waitpid(victim, nullptr, 0);
		close(lfd); // a poll already queued in the backlog sees the connection drop
		unlink(vpath.c_str());
	});
	CliRun r = run_cli("enable " + vpid + " fix");
	server.join();
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: process " + vpid + " exited while patch 'fix' was patching\n");
}

// A reply that carries the transition, null (the first round completed it), ends the
// wait without a `status` request: the command connects once. A reply without it, as
// older runtimes send, is followed by one (ProcessExitingWhileWaiting).
TEST_F(Cli, AReplyWithTheTransitionOverAsksNothingMore)
{
	ChildServer c;
	ASSERT_NO_FATAL_FAILURE(serve_from_child(&c));
	int lfd = c.lfd;
	pid_t victim = c.victim;
	std::string vpid = c.vpid, vpath = c.vpath;
	std::thread server(
		[&] { serve_one(lfd, R"({"v":1,"ok":true,"name":"fix","transition":null})"); });
	CliRun r = run_cli("enable " + vpid + " fix");
	server.join();
	// The command has exited: any request it made after the first is in the backlog.
	pollfd pending{lfd, POLLIN, 0};
	EXPECT_EQ(poll(&pending, 1, 0), 0) << "graft connected again after the reply";
	kill(victim, SIGKILL);
	waitpid(victim, nullptr, 0);
	close(lfd);
	unlink(vpath.c_str());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "enabled patch 'fix' in " + vpid + "\n");
}

} // namespace
} // namespace graft::control
