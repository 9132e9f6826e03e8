// SPDX-License-Identifier: MIT
// optout_test.cpp - the processes graft stays out of (system-wide.md, "Opt-outs"): a
// program graft.conf excludes by exe glob, a user excluded by uid, PID 1 of a pid
// namespace, and the graft CLI itself. The runtime stays inert in them (no socket, no
// store patch at start) and install / apply --all / status --all report them as
// `excluded` without touching them, and without counting them as failures.
#include "store_fixture.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace graft::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class OptOut : public StoreWorld {
protected:
	// The rules under test, and the store world's `require_signature = no` after them
	// (these tests are about opt-outs, not signatures; after, so a rule's line number
	// in a refusal is its line in `text`).
	void write_policy(const std::string &text)
	{
		StoreWorld::write_policy(text + "require_signature = no\n");
	}
	// A copy of the program under another name, for an exe rule to match.
	std::string copy_of_prog(const std::string &name)
	{
		std::string to = dir_ + "/" + name;
		fs::copy_file(prog(), to);
		return to;
	}
	bool has_socket(pid_t pid) const
	{
		return fs::exists(runtime_.path() + "/" + std::to_string(pid) + ".sock");
	}
};

std::string pid_str(pid_t pid)
{
	return std::to_string(pid);
}

bool maps_runtime(pid_t pid)
{
	std::ifstream in("/proc/" + pid_str(pid) + "/maps");
	std::ostringstream s;
	s << in.rdbuf();
	return s.str().find("/libgraft.so") != std::string::npos;
}

// The names of pid's threads.
std::vector<std::string> threads_of(pid_t pid)
{
	std::vector<std::string> names;
	std::error_code ec;
	for (const auto &t : fs::directory_iterator("/proc/" + pid_str(pid) + "/task", ec)) {
		std::ifstream in(t.path() / "comm");
		std::string comm;
		std::getline(in, comm);
		names.push_back(comm);
	}
	return names;
}

// Polls cond until it holds or a generous deadline passes.
bool eventually(const std::function<bool()> &cond)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (!cond()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		usleep(10 * 1000);
	}
	return true;
}

// exclude_exe: the excluded program's runtime is loaded but inert (no socket); install
// patches the other program and reports the excluded one without touching it (exit 0);
// a process started after install gets no store patch before main; status --all says
// excluded; apply --all --attach does not attach it either; disable --all reports it
// excluded, not failed.
TEST_F(OptOut, AnExcludedProgramStaysUnpatchedByInstallAndAtStartAndIsReportedExcluded)
{
	std::string excl = copy_of_prog("store_excl");
	write_policy("# test policy\nexclude_exe = /nowhere/*\nexclude_exe = " + dir_ +
		     "/store_ex*\n");
	Target e1(excl), p1(prog());
	ASSERT_EQ(e1.read_line(), "main: old");
	ASSERT_EQ(p1.read_line(), "main: old");
	ASSERT_TRUE(p1.wait_ready());
	EXPECT_TRUE(maps_runtime(e1.pid()));
	EXPECT_FALSE(has_socket(e1.pid()));

	CmdResult r = graft({"install", module("10-fix"), "--lib", "libstoretgt.so.1",
			     pid_str(e1.pid()), pid_str(p1.pid())});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(p1.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(e1.pid()) +
				     " store_excl       excluded: exclude_exe = " + dir_ +
				     "/store_ex* in " + dir_ + "/etc/graft.conf"));
	EXPECT_THAT(r.out, HasSubstr("0 failed, 0 without runtime, 1 excluded"));
	EXPECT_EQ(p1.ask("call"), "call: fixed");
	EXPECT_EQ(e1.ask("call"), "call: old");

	// Started after install: the store's patch reaches the other program before main,
	// never the excluded one.
	Target e2(excl), p2(prog());
	EXPECT_EQ(e2.read_line(), "main: old");
	EXPECT_EQ(p2.read_line(), "main: fixed");
	EXPECT_FALSE(has_socket(e2.pid()));

	r = graft({"status", "--all", "--json", "--exe", excl});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	json doc = json::parse(r.out, nullptr, false);
	ASSERT_FALSE(doc.is_discarded()) << r.out << r.err;
	std::map<int, json> st;
	for (const json &p : doc["processes"])
		st[p["pid"].get<int>()] = p;
	for (pid_t pid : {e1.pid(), e2.pid()}) {
		ASSERT_TRUE(st.count(pid)) << r.out;
		EXPECT_EQ(st[pid]["runtime"], "excluded");
		EXPECT_EQ(st[pid]["verdict"], "excluded");
		EXPECT_THAT(st[pid]["notes"].dump(), HasSubstr("exclude_exe = " + dir_));
	}
	EXPECT_EQ(doc["summary"]["excluded"], 2);
	EXPECT_EQ(status_all()[p2.pid()]["verdict"], "patched");

	// Excluded processes are never attached, even when asked to attach bare ones.
	Target bare(Target::Direct{}, excl);
	ASSERT_EQ(bare.read_line(), "main: old");
	r = graft({"apply", "--all", "--attach", "--from-store", "--exe", excl});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(bare.pid()) + " store_excl       excluded"));
	EXPECT_FALSE(maps_runtime(bare.pid()));
	EXPECT_EQ(bare.ask("call"), "call: old");
	r = graft({"attach", pid_str(bare.pid())});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("is excluded (exclude_exe = "));
	EXPECT_FALSE(maps_runtime(bare.pid()));

	// disable --all: the patched processes go back, the excluded ones are reported and
	// not counted as failures.
	// (Selected by this test's own copies of the programs: other tests' processes map
	// the same library.)
	r = graft({"disable", "--all", "10-fix", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	for (pid_t pid : {p1.pid(), p2.pid()})
		EXPECT_THAT(r.out, HasSubstr(pid_str(pid) + " store_prog       disabled"));
	r = graft({"disable", "--all", "10-fix", "--exe", excl});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	for (pid_t pid : {e1.pid(), e2.pid()})
		EXPECT_THAT(r.out,
			    HasSubstr(pid_str(pid) + " store_excl       excluded: exclude_exe"));
	EXPECT_THAT(r.out, HasSubstr("0 failed, 0 without runtime, 2 excluded"));
	EXPECT_EQ(p1.ask("call"), "call: old");
	EXPECT_EQ(e1.ask("call"), "call: old");
}

// exclude_uid: the same program run by that user gets the store's patch before the rule
// and not after it (the runtime reads the rule as it starts); the --all commands report
// the later process excluded and leave it alone.
TEST_F(OptOut, AUidExclusionKeepsThatUsersNewProcessesUnpatched)
{
	constexpr const char *kNobody = "65534";
	chmod(dir_.c_str(), 0755); // the other user runs the program copy and its library
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	std::vector<std::string> as_nobody{
		"--reuid", kNobody, "--regid", kNobody, "--clear-groups", out_dir() + "/bin/graft",
		"run",	   "--",    prog()};
	Target before(Target::Direct{}, "setpriv", as_nobody);
	ASSERT_EQ(before.read_line(), "main: fixed"); // the store works for that user

	write_policy("exclude_uid = " + std::string(kNobody) + "\n");
	Target after(Target::Direct{}, "setpriv", as_nobody), root(prog());
	EXPECT_EQ(after.read_line(), "main: old");
	EXPECT_EQ(root.read_line(), "main: fixed");
	EXPECT_TRUE(maps_runtime(after.pid()));

	CmdResult r = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(after.pid()) +
				     " store_prog       excluded: exclude_uid = 65534 in "));
	EXPECT_THAT(r.out, HasSubstr(pid_str(root.pid()) + " store_prog       already: 10-fix"));
	EXPECT_EQ(after.ask("call"), "call: old");
	auto st = status_all();
	ASSERT_TRUE(st.count(after.pid()));
	EXPECT_EQ(st[after.pid()]["runtime"], "excluded");
	EXPECT_EQ(st[after.pid()]["uid"], 65534);
}

// Built in: PID 1 of a pid namespace (unshare -p -f) keeps an inert runtime, so the
// store's patch does not reach it at start, and install reports it excluded.
TEST_F(OptOut, PidOneOfItsNamespaceIsLeftAlone)
{
	if (run({"unshare", "-p", "-f", "/bin/true"}, 30).status != 0)
		GTEST_SKIP() << "needs unshare -p (root, pid namespaces)";
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	Target init(Target::Direct{}, "unshare",
		    {"-p", "-f", out_dir() + "/bin/graft", "run", "--", prog()});
	Target plain(prog());
	EXPECT_EQ(init.read_line(), "main: old");
	EXPECT_EQ(plain.read_line(), "main: fixed");

	auto st = status_all();
	int ns_init = 0;
	for (auto &[pid, rec] : st)
		if (rec["nspid"] == 1)
			ns_init = pid;
	ASSERT_NE(ns_init, 0) << "no record with nspid 1";
	EXPECT_EQ(st[ns_init]["runtime"], "excluded");
	EXPECT_THAT(st[ns_init]["notes"].dump(), HasSubstr("PID 1 of its pid namespace"));
	CmdResult r = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(ns_init) + " store_prog       excluded: PID 1"));
	EXPECT_EQ(init.ask("call"), "call: old");
}

// A socket where graft looks for this test process's runtime: a graft command run
// against our pid connects here and waits for the reply, which lets the test look at
// that command's process while it runs.
class FakeRuntime {
public:
	explicit FakeRuntime(const std::string &dir)
	{
		path_ = dir + "/" + pid_str(getpid()) + ".sock";
		fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sockaddr_un a{};
		a.sun_family = AF_UNIX;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path_.c_str());
		ok_ = bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0 &&
		      listen(fd_, 4) == 0;
	}
	~FakeRuntime()
	{
		close(fd_);
		unlink(path_.c_str());
	}
	bool ok() const { return ok_; }
	// The next client (-1 after 60 s) and its pid, once its request line is read (a
	// close with unread data would reset the connection before the client reads).
	int accept_client(pid_t *pid)
	{
		pollfd p{fd_, POLLIN, 0};
		if (poll(&p, 1, 60000) != 1)
			return -1;
		int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
		ucred cred{};
		socklen_t len = sizeof(cred);
		getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len);
		*pid = cred.pid;
		for (char ch = 0; ch != '\n';) {
			pollfd q{c, POLLIN, 0};
			if (poll(&q, 1, 60000) != 1 || read(c, &ch, 1) != 1)
				break;
		}
		return c;
	}

private:
	std::string path_;
	int fd_ = -1;
	bool ok_ = false;
};

// The graft CLI preloaded with the runtime (as /etc/ld.so.preload would) maps it but
// starts nothing: no socket, no control thread. The same binary under another name
// does start it: only the name differs.
TEST_F(OptOut, TheGraftCliNeverStartsARuntimeWhenPreloaded)
{
	FakeRuntime fake(runtime_.path());
	ASSERT_TRUE(fake.ok());
	std::string copy = dir_ + "/graftcopy";
	fs::copy_file(out_dir() + "/bin/graft", copy);
	// Control at start: without it neither would start anything before a command.
	setenv("LD_PRELOAD", (out_dir() + "/lib/libgraft.so").c_str(), 1);
	setenv("GRAFT_CONTROL", "at-start", 1);
	Target cli(Target::Direct{}, out_dir() + "/bin/graft", {"list", pid_str(getpid())});
	Target other(Target::Direct{}, copy, {"list", pid_str(getpid())});
	unsetenv("LD_PRELOAD");
	unsetenv("GRAFT_CONTROL");
	for (int i = 0; i < 2; i++) { // they connect in either order
		pid_t client = 0;
		int c = fake.accept_client(&client);
		ASSERT_GE(c, 0) << "no graft command connected";
		// The command waits for our reply: its constructors ran long ago.
		ASSERT_TRUE(client == cli.pid() || client == other.pid()) << client;
		EXPECT_TRUE(maps_runtime(client));
		// The socket and the named control thread exist once the constructor
		// returned. graft list itself runs on one thread.
		if (client == cli.pid()) {
			EXPECT_FALSE(has_socket(client));
			EXPECT_EQ(threads_of(client).size(), 1u);
		} else {
			EXPECT_TRUE(has_socket(client));
			EXPECT_TRUE(eventually([&] {
				auto t = threads_of(client);
				return std::find(t.begin(), t.end(), "graft-ctl") != t.end();
			}));
		}
		std::string reply = "{\"ok\":true,\"patches\":[]}\n";
		EXPECT_EQ(write(c, reply.data(), reply.size()), ssize_t(reply.size()));
		close(c);
	}
	EXPECT_EQ(cli.finish(), 0);
	EXPECT_EQ(other.finish(), 0);
}

// A malformed opt-out line: the CLI's --all commands stop with the file and the line,
// and a new process's runtime stays inert (its opt-outs cannot be honoured).
TEST_F(OptOut, AMalformedRuleStopsTheCommandAndKeepsRuntimesInert)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	write_policy("exclude_uid = nobody\n");
	Target p(prog());
	EXPECT_EQ(p.read_line(), "main: old");
	EXPECT_FALSE(has_socket(p.pid()));
	CmdResult r = graft({"status", "--all", "--exe", prog()});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("policy " + dir_ +
				     "/etc/graft.conf line 1: exclude_uid: 'nobody' is not a "
				     "numeric uid"));
}

} // namespace
