// SPDX-License-Identifier: MIT
// select_test.cpp - which processes the system-wide commands reach, and how: `--attach`
// (processes without the runtime get it from graft attach's code, then the patch), and
// `--unit` / `--cgroup` (the processes of a systemd unit's control group, tested with a
// real control group this test creates, named like a unit).
#include "store_fixture.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include "transition.hpp"

using namespace graft::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class Select : public StoreWorld {};

std::string pid_str(pid_t pid)
{
	return std::to_string(pid);
}

// Polls cond until it holds or a generous deadline passes.
bool wait_until(const std::function<bool()> &cond)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (!cond()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
}

// --attach: two processes started without the runtime. One is attached and patched; the
// other is stopped (kill -STOP), so attach refuses it, and that refusal is its line
// (failed, exit 1) without stopping the first. status --all then finds the attached
// runtime.
TEST_F(Select, AttachGivesTheRuntimeToBareProcessesAndReportsARefusal)
{
	Target bare(Target::Direct{}, prog());
	Target stopped(Target::Direct{}, prog());
	ASSERT_EQ(bare.read_line(), "main: old");
	ASSERT_EQ(stopped.read_line(), "main: old");
	// graft attach borrows a thread asleep in a system call (here read()).
	ASSERT_TRUE(wait_thread_asleep(bare.pid(), bare.pid()));
	ASSERT_EQ(kill(stopped.pid(), SIGSTOP), 0);
	ASSERT_TRUE(wait_until([&] { return thread_state(stopped.pid(), stopped.pid()) == 'T'; }));

	CmdResult r = graft({"install", module("10-fix"), "--exe", prog(), "--attach"});
	kill(stopped.pid(), SIGCONT);
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(bare.pid()) +
				     " store_prog       patched: 10-fix (runtime attached)"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(stopped.pid()) +
				     " store_prog       failed: 10-fix: "
				     "attaching the runtime failed: process " +
				     pid_str(stopped.pid()) + " is stopped"));
	EXPECT_THAT(r.out, HasSubstr("1 covered (1 now, 0 already), 0 not applicable, 1 failed, "
				     "0 without runtime"));
	EXPECT_EQ(bare.ask("call"), "call: fixed");
	EXPECT_EQ(stopped.ask("call"), "call: old");

	auto st = status_all();
	ASSERT_TRUE(st.count(bare.pid()));
	EXPECT_EQ(st[bare.pid()]["runtime"], "present");
	EXPECT_EQ(st[bare.pid()]["verdict"], "patched");
	EXPECT_EQ(st[stopped.pid()]["verdict"], "without runtime");

	// Without --attach the same process is only reported (exit 4).
	r = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(bare.pid()) + " store_prog       already: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(stopped.pid()) +
				     " store_prog       without runtime: "
				     "maps '" +
				     lib_path() +
				     "' but has no graft runtime "
				     "(--attach attaches it)"));
}

// --attach where the process is hard to reach: one in its own mount namespace with a
// private /tmp (its socket is reached through /proc/PID/root), one under systemd's
// MemoryDenyWriteExecute seccomp filter (the attached runtime writes code through
// /proc/self/mem), and a bare prefork parent with a child forked before (each attached).
TEST_F(Select, AttachReachesAPrivateTmpAndAWriteExecuteBan)
{
	Target ns(Target::Direct{}, "unshare",
		  {"-m", "--propagation", "private", "sh", "-c", private_tmp_then(prog())});
	Target banned(Target::Direct{}, prog(), {"seccomp-wx"});
	Target prefork(Target::Direct{}, prog());
	for (Target *t : {&ns, &banned, &prefork})
		ASSERT_EQ(t->read_line(), "main: old");
	std::string kids = prefork.ask("fork 1"); // "children: PID"
	ASSERT_EQ(kids.rfind("children: ", 0), 0u) << kids;
	pid_t child = std::stoi(kids.substr(10));
	for (pid_t pid : {ns.pid(), banned.pid(), prefork.pid(), child})
		ASSERT_TRUE(wait_thread_asleep(pid, pid));
	CmdResult r = graft({"apply", "--all", "--attach", module("10-fix"), "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	for (pid_t pid : {ns.pid(), banned.pid(), prefork.pid(), child})
		EXPECT_THAT(r.out,
			    HasSubstr(pid_str(pid) +
				      " store_prog       patched: 10-fix (runtime attached)"));
	EXPECT_EQ(prefork.ask("call"), "call: fixed");
	EXPECT_EQ(ns.ask("call"), "call: fixed");
	EXPECT_EQ(banned.ask("call"), "call: fixed");
	EXPECT_EQ(banned.ask("wx"), "wx: mmap refused, mprotect refused");
}

// A control group named like a systemd unit, made in the cgroup2 tree (or the v1
// name=systemd tree of a hybrid layout), as systemd makes one per unit; removed at the end
// (its processes are gone by then).
class UnitGroup {
public:
	UnitGroup()
	{
		name_ = "graft-itest-" + std::to_string(getpid()) + ".service";
		for (const char *root :
		     {"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"}) {
			std::string dir = std::string(root) + "/" + name_;
			if (fs::exists(std::string(root) + "/cgroup.procs") &&
			    mkdir(dir.c_str(), 0755) == 0) {
				dir_ = dir;
				sub_ = dir + "/worker";
				mkdir(sub_.c_str(), 0755);
				return;
			}
		}
	}
	~UnitGroup()
	{
		if (dir_.empty())
			return;
		// rmdir fails with EBUSY until the last process has left (been reaped).
		wait_until([&] { return rmdir(sub_.c_str()) == 0 || errno == ENOENT; });
		wait_until([&] { return rmdir(dir_.c_str()) == 0 || errno == ENOENT; });
	}
	bool made() const { return !dir_.empty(); }
	const std::string &name() const { return name_; }
	const std::string &dir() const { return dir_; }
	// Moves pid into the unit's group (sub: into a group below it).
	bool add(pid_t pid, bool sub = false) const
	{
		std::ofstream out((sub ? sub_ : dir_) + "/cgroup.procs");
		out << pid << std::endl;
		return bool(out);
	}

private:
	std::string name_, dir_, sub_;
};

// --unit NAME: only the processes of the unit's control group (and of groups below it)
// are patched; a process of the same program outside it is not touched. status --all
// --unit shows them only. An unknown unit is a clear error and changes nothing.
TEST_F(Select, UnitSelectsTheProcessesOfItsControlGroup)
{
	UnitGroup unit;
	if (!unit.made())
		GTEST_SKIP() << "no writable cgroup hierarchy here: --unit is not tested";
	Target in(prog()), below(prog()), out(prog());
	for (Target *t : {&in, &below, &out})
		ASSERT_EQ(t->read_line(), "main: old");
	ASSERT_TRUE(in.wait_ready() && below.wait_ready() && out.wait_ready());
	ASSERT_TRUE(unit.add(in.pid()));
	ASSERT_TRUE(unit.add(below.pid(), true));

	CmdResult bad = graft({"apply", "--all", module("10-fix"), "--unit", "graft-no-such-unit"});
	EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
	EXPECT_THAT(bad.err, HasSubstr("unit 'graft-no-such-unit.service' has no control group"));
	EXPECT_EQ(out.ask("call"), "call: old");
	// install checks the selector before it stores anything.
	bad = graft({"install", module("10-fix"), "--unit", "graft-no-such-unit"});
	EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
	EXPECT_THAT(bad.err, HasSubstr("unit 'graft-no-such-unit.service' has no control group"));
	EXPECT_FALSE(fs::exists(store() + "/modules/10-fix.so"));

	std::string base = unit.name().substr(0, unit.name().size() - 8); // without .service
	CmdResult r = graft({"install", module("10-fix"), "--unit", base});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(in.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(below.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, Not(HasSubstr(pid_str(out.pid()))));
	EXPECT_EQ(in.ask("call"), "call: fixed");
	EXPECT_EQ(below.ask("call"), "call: fixed");
	EXPECT_EQ(out.ask("call"), "call: old");

	auto st = status_all({"--unit", unit.name()});
	EXPECT_EQ(st.size(), 2u);
	EXPECT_TRUE(st.count(in.pid()) && st.count(below.pid()));

	// --cgroup DIR: the same group by its directory.
	r = graft({"disable", "--all", "10-fix", "--cgroup", unit.dir()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr("2 covered (2 now, 0 already)"));
	EXPECT_EQ(in.ask("call"), "call: old");
	EXPECT_EQ(out.ask("call"), "call: old");
}

} // namespace
