// SPDX-License-Identifier: MIT
// test_server.cpp - the real control thread on a temporary GRAFT_RUNTIME_DIR answering
// real client sockets: framing, bounds, bad input, thread properties, fork, stop.
#include <gtest/gtest.h>

#include <csignal>
#include <dirent.h>
#include <fstream>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "fake_core.hpp"
#include "server_util.hpp"

namespace graft::control {
namespace {

using json = nlohmann::json;
using test::Client;
using test::server_socket;

class Server : public ::testing::Test {
protected:
	void SetUp() override
	{
		test::fake_reset();
		test::server_dir();
	}
};

TEST_F(Server, SocketInPrivateDirectory)
{
	struct stat st;
	ASSERT_EQ(stat(test::server_dir().c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0700u);
	ASSERT_EQ(stat(server_socket().c_str(), &st), 0);
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	std::string why;
	EXPECT_TRUE(control_start(&why)) << "a second start is a no-op";
}

TEST_F(Server, AnswersRequestsInOrderOnOneConnection)
{
	Client c(server_socket());
	ASSERT_TRUE(c.connected());
	c.send("{\"v\":1,\"cmd\":\"info\"}\n{\"cmd\":\"enable\",\"name\":\"fix\"}\n");
	json info = json::parse(c.line());
	EXPECT_EQ(info["pid"], getpid());
	json en = json::parse(c.line());
	EXPECT_EQ(en["ok"], true);
	EXPECT_EQ(en["name"], "fix");
	// A last request without its newline is still answered at end of stream.
	c.send(R"({"cmd":"list"})");
	shutdown(c.fd, SHUT_WR);
	EXPECT_EQ(json::parse(c.line())["patches"], json::array());
	EXPECT_EQ(c.line(), "<eof>");
}

TEST_F(Server, MalformedJsonGetsErrorThenClose)
{
	Client c(server_socket());
	std::string reply = c.ask(R"({"cmd": nope})");
	json r = json::parse(reply);
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_NE(r["error"].get<std::string>().find("malformed JSON"), std::string::npos);
	EXPECT_EQ(c.line(), "<eof>");
	Client next(server_socket());
	EXPECT_EQ(json::parse(next.ask(R"({"cmd":"info"})"))["ok"], true);
}

TEST_F(Server, UnknownCommandKeepsConnection)
{
	Client c(server_socket());
	json r = json::parse(c.ask(R"({"cmd":"frobnicate"})"));
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_EQ(json::parse(c.ask(R"({"cmd":"info"})"))["ok"], true);
}

TEST_F(Server, OversizedRequestClosedAndServerServesNextClient)
{
	{
		Client c(server_socket());
		c.send(std::string(kMaxRequestBytes + 5000, 'x')); // no newline
		json r = json::parse(c.line());
		EXPECT_FALSE(r["ok"].get<bool>());
		EXPECT_NE(r["error"].get<std::string>().find("longer than 65536 bytes"),
			  std::string::npos)
			<< r;
		EXPECT_EQ(c.line(), "<eof>");
	}
	Client next(server_socket());
	EXPECT_EQ(json::parse(next.ask(R"({"cmd":"info"})"))["ok"], true);
	EXPECT_EQ(test::fake_calls(), std::vector<std::string>{"info"});
}

TEST_F(Server, LargeButBoundedRequestAccepted)
{
	json req{{"cmd", "info"}, {"pad", std::string(kMaxRequestBytes - 100, 'p')}};
	Client c(server_socket());
	EXPECT_EQ(json::parse(c.ask(req.dump()))["ok"], true);
}

TEST_F(Server, LoadRefusalNamesTheFile)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0646);
	Client c(server_socket());
	json r = json::parse(c.ask(json{{"cmd", "load"}, {"path", f}}.dump()));
	EXPECT_EQ(r["error"], "patch file '" + f + "' is writable by others: chmod go-w it");
	EXPECT_TRUE(test::fake_calls().empty());
}

// Tid of the thread named graft-ctl, or 0.
pid_t find_control_tid()
{
	DIR *d = opendir("/proc/self/task");
	pid_t found = 0;
	while (dirent *e = readdir(d)) {
		std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
		std::string name;
		if (std::getline(comm, name) && name == "graft-ctl")
			found = pid_t(atoi(e->d_name));
	}
	closedir(d);
	return found;
}

// The control thread, by name (deadline 10 s).
pid_t control_tid()
{
	for (int i = 0; i < 10000; i++) {
		if (pid_t tid = find_control_tid())
			return tid;
		usleep(1000);
	}
	return 0;
}

TEST_F(Server, ThreadIsNamedAndBlocksAllSignals)
{
	pid_t tid = control_tid();
	ASSERT_NE(tid, 0) << "no thread named graft-ctl";
	std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
	std::string line;
	unsigned long long blocked = 0;
	while (std::getline(status, line))
		if (line.rfind("SigBlk:", 0) == 0)
			blocked = std::stoull(line.substr(7), nullptr, 16);
	for (int sig :
	     {SIGINT, SIGTERM, SIGUSR1, SIGPIPE, SIGCHLD, SIGALRM, SIGRTMIN + 2, SIGRTMAX})
		EXPECT_TRUE(blocked & (1ull << (sig - 1))) << "signal " << sig << " not blocked";
	// The caller's mask is restored: this thread blocks nothing new.
	sigset_t mine;
	pthread_sigmask(SIG_SETMASK, nullptr, &mine);
	EXPECT_FALSE(sigismember(&mine, SIGTERM));
}

TEST_F(Server, RefusesPeerOfAnotherUser)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root to connect as another user";
	// Open the way to the socket for a second user, as a misconfiguration would; the
	// SO_PEERCRED check must still refuse it.
	chmod(test::base_dir().c_str(), 0711);
	chmod(test::server_dir().c_str(), 0711);
	std::string path = server_socket();
	chmod(path.c_str(), 0666);
	pid_t child = fork();
	if (child == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		Client c(path);
		if (!c.connected()) {
			fprintf(stderr, "connect as uid 65534: %s\n", strerror(errno));
			_exit(4);
		}
		std::string reply = c.ask(R"({"cmd":"info"})");
		bool refused = reply.find("permission denied: uid 65534") != std::string::npos &&
			       c.line() == "<eof>";
		_exit(refused ? 0 : 5);
	}
	int status = 0;
	waitpid(child, &status, 0);
	chmod(server_socket().c_str(), 0600);
	chmod(test::server_dir().c_str(), 0700);
	chmod(test::base_dir().c_str(), 0700);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_TRUE(test::fake_calls().empty()) << "a refused peer reaches nothing";
}

TEST_F(Server, ForkChildGetsItsOwnServer)
{
	pid_t parent = getpid();
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		close(pipefd[0]);
		control_after_fork_child(true);
		std::string mine = control::socket_path(test::server_dir(), getpid());
		Client c(mine);
		int ok =
			c.connected() && json::parse(c.ask(R"({"cmd":"info"})"))["pid"] == getpid();
		control_stop(); // as the exit destructor would
		struct stat st;
		ok = ok && stat(mine.c_str(), &st) != 0;
		ok = ok && write(pipefd[1], "x", 1) == 1;
		_exit(ok ? 0 : 1);
	}
	close(pipefd[1]);
	int status = 0;
	waitpid(child, &status, 0);
	close(pipefd[0]);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	// The parent's socket survived the child and still answers.
	Client c(control::socket_path(test::server_dir(), parent));
	EXPECT_EQ(json::parse(c.ask(R"({"cmd":"info"})"))["pid"], parent);
}

TEST_F(Server, StopRemovesSocketAndStartRebinds)
{
	control_stop();
	struct stat st;
	EXPECT_NE(stat(server_socket().c_str(), &st), 0);
	control_stop(); // twice is fine
	std::string why;
	ASSERT_TRUE(control_start(&why)) << why;
	Client c(server_socket());
	EXPECT_EQ(json::parse(c.ask(R"({"cmd":"info"})"))["ok"], true);
}

TEST_F(Server, StaleSocketFileReplaced)
{
	control_stop();
	// A plain file where the socket goes, as a crashed earlier process might leave.
	std::ofstream(server_socket()) << "stale";
	std::string why;
	ASSERT_TRUE(control_start(&why)) << why;
	Client c(server_socket());
	EXPECT_EQ(json::parse(c.ask(R"({"cmd":"info"})"))["ok"], true);
}

} // namespace
} // namespace graft::control
