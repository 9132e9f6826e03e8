// SPDX-License-Identifier: MIT
// secure_test.cpp - the runtime stays inert in a secure-execution (setuid/setgid)
// process: loaded (DT_NEEDED), but no control socket and no control thread, while a
// plain copy of the same program gets both.
#include <gtest/gtest.h>

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "proc_support.hpp"
#include "process.hpp"

using namespace graft::test;
using namespace graft::test::proc;
namespace fs = std::filesystem;

namespace {

bool exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

std::string proc_file(pid_t pid, const std::string &name)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether something accepts connections at path: a file left by an earlier process of
// the same pid (killed, so it never removed its socket) does not.
bool listening(const std::string &path)
{
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int thread_count(pid_t pid)
{
	std::string status = proc_file(pid, "status");
	size_t at = status.find("Threads:");
	return at == std::string::npos ? -1 : std::stoi(status.substr(at + 8));
}

// A private directory in the build tree for the copies: /tmp may be mounted nosuid,
// which would make the setuid bit (and so the test) void.
class CopyDir {
public:
	CopyDir()
	{
		std::string tmpl = fixture("secure-XXXXXX");
		if (!mkdtemp(tmpl.data()))
			throw std::runtime_error("mkdtemp failed");
		path = tmpl;
		chmod(path.c_str(), 0755);
	}
	~CopyDir()
	{
		std::error_code ec;
		fs::remove_all(path, ec);
	}
	std::string copy(const std::string &name, uid_t uid, gid_t gid, mode_t mode) const
	{
		std::string to = path + "/" + name;
		fs::copy_file(fixture("proc-secure"), to);
		// chown first: it clears the set-id bits.
		if (chown(to.c_str(), uid, gid) != 0 || chmod(to.c_str(), mode) != 0)
			throw std::runtime_error("cannot prepare " + to);
		return to;
	}
	std::string path;
};

passwd *test_user()
{
	if (!getpwnam("graft-test"))
		run({"useradd", "--system", "--no-create-home", "graft-test"});
	return getpwnam("graft-test");
}

// Every place the runtime could put this process's socket: GRAFT_RUNTIME_DIR (ignored in
// a secure process: secure_getenv), and the default /tmp/graft-<euid>.
std::vector<std::string> socket_candidates(const RuntimeDir &rundir, pid_t pid, uid_t euid)
{
	std::string name = "/" + std::to_string(pid) + ".sock";
	return {rundir.path() + name, "/tmp/graft-" + std::to_string(euid) + name};
}

TEST(SecureExecution, PlainCopyGetsTheRuntime)
{
	if (geteuid() != 0)
		GTEST_SKIP()
			<< "the secure-execution tests compare with a setuid copy; run as root";
	RuntimeDir rundir;
	CopyDir dir;
	// Control at start for both copies (the default waits for a first command), so that
	// the secure copy's missing socket and thread mean the runtime stayed inert.
	Target plain(Target::Direct{}, "/usr/bin/env",
		     {"GRAFT_CONTROL=at-start", dir.copy("plain", 0, 0, 0755)});
	ASSERT_EQ(plain.read_line(), "ready secure=0 ruid=0 euid=0");
	// The constructor binds the socket before main runs; the wait is only a safety margin.
	EXPECT_TRUE(wait_for([&] {
		return exists(rundir.path() + "/" + std::to_string(plain.pid()) + ".sock");
	}));
	EXPECT_TRUE(plain.wait_ready()) << "graft list fails on the non-setuid copy";
	EXPECT_TRUE(wait_for([&] { return thread_count(plain.pid()) == 2; }))
		<< "expected the main thread and graft's control thread";
	EXPECT_EQ(plain.finish(), 0);
}

// Runs a set-id copy and checks the runtime is loaded but did nothing.
void expect_inert(const std::string &program, uid_t euid, const std::string &greeting)
{
	RuntimeDir rundir;
	Target secure(Target::Direct{}, "/usr/bin/env", {"GRAFT_CONTROL=at-start", program});
	std::string line = secure.read_line();
	ASSERT_EQ(line, greeting) << "the copy did not run in secure-execution mode";
	pid_t pid = secure.pid();
	// Loaded: so the constructor ran, and nothing below is vacuous.
	EXPECT_NE(proc_file(pid, "maps").find("/libgraft.so"), std::string::npos);
	// The constructor (socket bind, control thread) completes before main prints the
	// greeting, so absence now is final, not a race.
	for (const std::string &sock : socket_candidates(rundir, pid, euid))
		EXPECT_FALSE(listening(sock))
			<< "a secure process opened a control socket: " << sock;
	EXPECT_EQ(thread_count(pid), 1) << "a secure process started a control thread";
	// The first command finds the runtime inert and says why.
	CmdResult r = run_graft({"list", std::to_string(pid)});
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_NE(r.err.find("secure execution"), std::string::npos) << r.err;
	EXPECT_TRUE(wait_for([&] { return thread_count(pid) == 1; }))
		<< "a command left a thread in a secure process";
	EXPECT_EQ(secure.ask("ping"), "still here");
	EXPECT_EQ(secure.finish(), 0);
}

TEST(SecureExecution, SetuidCopyStaysInert)
{
	if (geteuid() != 0)
		GTEST_SKIP()
			<< "making a setuid copy owned by another user needs root; run as root";
	passwd *pw = test_user();
	ASSERT_NE(pw, nullptr) << "cannot create the user graft-test";
	CopyDir dir;
	std::string program = dir.copy("setuid", pw->pw_uid, 0, 04755);
	expect_inert(program, pw->pw_uid,
		     "ready secure=1 ruid=0 euid=" + std::to_string(pw->pw_uid));
}

TEST(SecureExecution, SetgidCopyStaysInert)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "making a setgid copy of another group needs root; run as root";
	passwd *pw = test_user();
	ASSERT_NE(pw, nullptr) << "cannot create the user graft-test";
	ASSERT_NE(pw->pw_gid, 0u);
	CopyDir dir;
	std::string program = dir.copy("setgid", 0, pw->pw_gid, 02755);
	expect_inert(program, 0, "ready secure=1 ruid=0 euid=0");
}

} // namespace
