// SPDX-License-Identifier: MIT
// on_demand_test.cpp - control on demand: a program preloaded with libgraft.so (a plain
// LD_PRELOAD, as /etc/ld.so.preload or a systemd drop-in gives it) starts no control
// socket and no thread; the first `graft` command starts them with ptrace and is
// served; a fork child waits again. GRAFT_CONTROL=at-start (what `graft run` sets)
// starts them with the program, which is what makes the absence here mean something.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <csignal>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "proc_support.hpp"
#include "process.hpp"

using namespace graft::test;
using namespace graft::test::proc;

namespace {

bool exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

// Whether a thread of pid is named name.
bool has_thread(pid_t pid, const std::string &name)
{
	std::string task = "/proc/" + std::to_string(pid) + "/task";
	DIR *d = opendir(task.c_str());
	bool found = false;
	while (dirent *e = d ? readdir(d) : nullptr) {
		std::ifstream comm(task + "/" + e->d_name + "/comm");
		std::string c;
		if (e->d_name[0] != '.' && std::getline(comm, c) && c == name)
			found = true;
	}
	if (d)
		closedir(d);
	return found;
}

bool maps_runtime(pid_t pid)
{
	std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
	std::string all((std::istreambuf_iterator<char>(maps)), {});
	return all.find("/libgraft.so") != std::string::npos;
}

// TracerPid of every task is 0.
bool untraced(pid_t pid)
{
	std::string task = "/proc/" + std::to_string(pid) + "/task";
	DIR *d = opendir(task.c_str());
	bool ok = d != nullptr;
	while (dirent *e = d ? readdir(d) : nullptr) {
		std::ifstream st(task + "/" + e->d_name + "/status");
		for (std::string line; e->d_name[0] != '.' && std::getline(st, line);)
			if (line.rfind("TracerPid:", 0) == 0 && std::stoi(line.substr(10)) != 0)
				ok = false;
	}
	if (d)
		closedir(d);
	return ok;
}

// Whether pid has a handler for sig (SigCgt in /proc/PID/status).
bool catches(pid_t pid, int sig)
{
	std::ifstream st("/proc/" + std::to_string(pid) + "/status");
	for (std::string line; std::getline(st, line);)
		if (line.rfind("SigCgt:", 0) == 0)
			return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
	return false;
}

// `graft ps --all --json`'s row of pid (null if absent).
nlohmann::json ps_row(pid_t pid)
{
	CmdResult r = run_graft({"ps", "--all", "--json"});
	nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
	if (!j.is_object())
		return nullptr;
	for (const auto &p : j.value("processes", nlohmann::json::array()))
		if (p.value("pid", 0) == pid)
			return p;
	return nullptr;
}

// proc-target preloaded with a plain LD_PRELOAD, plus the given environment.
std::unique_ptr<Target> preloaded(const std::vector<std::string> &env = {})
{
	std::vector<std::string> args{"LD_PRELOAD=" + out_dir() + "/lib/libgraft.so"};
	args.insert(args.end(), env.begin(), env.end());
	args.push_back(fixture("proc-target"));
	return std::make_unique<Target>(Target::Direct{}, "/usr/bin/env", args);
}

class OnDemand : public ::testing::Test {
protected:
	std::string sock(pid_t pid) const
	{
		return rundir.path() + "/" + std::to_string(pid) + ".sock";
	}
	RuntimeDir rundir;
};

TEST_F(OnDemand, APreloadedProcessHasNoSocketOrThreadUntilTheFirstCommand)
{
	auto t = preloaded();
	ASSERT_EQ(t->read_line(), "ready gen1 1");
	pid_t pid = t->pid();
	std::string p = std::to_string(pid);
	// The constructor ran to its end before main printed: absence now is final.
	ASSERT_TRUE(maps_runtime(pid));
	EXPECT_FALSE(exists(sock(pid)));
	EXPECT_FALSE(has_thread(pid, "graft-ctl"));
	// Nor a signal handler: code patching's (SIGTRAP for the int3 protocol, and the
	// thread check's) wait for the first patch or command.
	EXPECT_FALSE(catches(pid, SIGTRAP));
	nlohmann::json row = ps_row(pid);
	ASSERT_TRUE(row.is_object());
	EXPECT_EQ(row.value("control", ""), "on-demand");
	EXPECT_FALSE(exists(sock(pid))) << "graft ps --all must not start anything";

	CmdResult r = run_graft({"load", p, patch("proc-answer")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t->ask("answer"), "answer 2");
	EXPECT_TRUE(exists(sock(pid)));
	EXPECT_TRUE(has_thread(pid, "graft-ctl"));
	EXPECT_TRUE(catches(pid, SIGTRAP));
	EXPECT_TRUE(untraced(pid));
	EXPECT_NE(log_of(pid).find("control started on demand"), std::string::npos) << log_of(pid);
	EXPECT_EQ(ps_row(pid).value("control", ""), "started");
	// The start is audited as the attach it is, before the load it served.
	nlohmann::json hist =
		nlohmann::json::parse(run_graft({"history", "--json", p}).out, nullptr, false);
	ASSERT_TRUE(hist.is_object());
	std::vector<std::string> actions;
	for (const auto &rec : hist.value("records", nlohmann::json::array()))
		actions.push_back(rec.value("action", "") + ":" + rec.value("result", ""));
	ASSERT_GE(actions.size(), 2u);
	EXPECT_EQ(actions[0], "attach:ok");
	EXPECT_EQ(actions[1].rfind("load:", 0), 0u) << actions[1];
	// Later commands go through the socket.
	EXPECT_EQ(patches_of(pid), std::vector<std::string>{"proc-answer+"});
	ASSERT_EQ(run_graft({"disable", p, "proc-answer"}).status, 0);
	EXPECT_EQ(t->ask("answer"), "answer 1");
	EXPECT_EQ(t->finish(), 0);
}

// A socket file of the same name, left by an earlier process of this pid that was
// killed: the first command still starts the control (which replaces the file).
TEST_F(OnDemand, AStaleSocketFileOfThePidDoesNotStopTheFirstCommand)
{
	auto t = preloaded();
	ASSERT_EQ(t->read_line(), "ready gen1 1");
	pid_t pid = t->pid();
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock(pid).c_str());
	ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
	close(fd); // the file stays, nobody listens
	ASSERT_TRUE(exists(sock(pid)));
	CmdResult r = run_graft({"load", std::to_string(pid), patch("proc-answer")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t->ask("answer"), "answer 2");
	EXPECT_EQ(t->finish(), 0);
}

TEST_F(OnDemand, ControlAtStartStartsTheSocketAndThreadWithTheProgram)
{
	auto t = preloaded({"GRAFT_CONTROL=at-start"});
	ASSERT_EQ(t->read_line(), "ready gen1 1");
	pid_t pid = t->pid();
	EXPECT_TRUE(exists(sock(pid)));
	EXPECT_TRUE(has_thread(pid, "graft-ctl"));
	EXPECT_TRUE(catches(pid, SIGTRAP));
	EXPECT_EQ(ps_row(pid).value("control", ""), "started");
	EXPECT_EQ(t->finish(), 0);
}

// `graft run` asks for control at start: its program is there to be patched.
TEST_F(OnDemand, GraftRunStartsControlAtStart)
{
	Target t(fixture("proc-target"));
	ASSERT_EQ(t.read_line(), "ready gen1 1");
	EXPECT_TRUE(exists(sock(t.pid())));
	EXPECT_TRUE(has_thread(t.pid(), "graft-ctl"));
	EXPECT_EQ(t.finish(), 0);
}

// A fork child of a process whose control was started goes back to waiting, keeps the
// patch, and its own first command starts its own control.
TEST_F(OnDemand, AForkChildWaitsForItsOwnFirstCommand)
{
	auto t = preloaded();
	ASSERT_EQ(t->read_line(), "ready gen1 1");
	pid_t parent = t->pid();
	ASSERT_EQ(run_graft({"load", std::to_string(parent), patch("proc-answer")}).status, 0);
	FifoPeer peer(rundir.path());
	std::string forked = t->ask(peer.fork_command());
	ASSERT_EQ(forked.rfind("forked ", 0), 0u) << forked;
	pid_t child = std::stoi(forked.substr(7));
	KillGuard guard(child);
	ASSERT_TRUE(peer.connect());
	ASSERT_EQ(peer.read_line(), "child ready " + std::to_string(child));
	EXPECT_EQ(peer.ask("answer"), "answer 2") << "the child lost the parent's patch";
	EXPECT_FALSE(has_thread(child, "graft-ctl"));
	EXPECT_FALSE(exists(sock(child)));
	EXPECT_EQ(patches_of(child), std::vector<std::string>{"proc-answer+"});
	EXPECT_TRUE(has_thread(child, "graft-ctl"));
	ASSERT_EQ(run_graft({"disable", std::to_string(child), "proc-answer"}).status, 0);
	EXPECT_EQ(peer.ask("answer"), "answer 1");
	EXPECT_EQ(t->ask("answer"), "answer 2") << "the parent is its own process";
	peer.ask("quit", 0);
	peer.close_input();
	EXPECT_EQ(t->ask("reap"), "reaped exit 0");
	guard.release();
	EXPECT_EQ(t->finish(), 0);
}

// Where the runtime is inert (here: the kill switch), the first command says why and
// the process runs on as before.
TEST_F(OnDemand, AnInertRuntimeSaysWhyOnTheFirstCommand)
{
	std::string conf = rundir.path() + "/conf";
	ASSERT_EQ(mkdir(conf.c_str(), 0755), 0);
	std::ofstream(conf + "/disable") << "";
	auto t = preloaded({"GRAFT_CONFIG_DIR=" + conf});
	ASSERT_EQ(t->read_line(), "ready gen1 1");
	pid_t pid = t->pid();
	CmdResult r = run_graft({"load", std::to_string(pid), patch("proc-answer")});
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_NE(r.err.find("kill switch"), std::string::npos) << r.err;
	EXPECT_FALSE(has_thread(pid, "graft-ctl"));
	EXPECT_TRUE(untraced(pid));
	EXPECT_EQ(t->ask("answer"), "answer 1");
	EXPECT_EQ(t->finish(), 0);
}

} // namespace
