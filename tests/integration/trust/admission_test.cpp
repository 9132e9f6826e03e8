// SPDX-License-Identifier: MIT
// admission_test.cpp - who is served: a client of the process's own user only when the
// kernel would let it ptrace the process (not after PR_SET_DUMPABLE 0), and the CLI
// talks only to a socket the target process itself serves (a squatter is refused).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "transition.hpp"
#include "trust_fixture.hpp"

namespace graft::test {
namespace {

class Admission : public TrustDir {};

TEST_F(Admission, SquattingSocketRefused)
{
	// A process without the runtime, and someone else (this test) listening on its name.
	Target plain(Target::Direct{}, "/bin/cat");
	std::string path = runtime.path() + "/" + std::to_string(plain.pid()) + ".sock";
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path.c_str());
	ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
	ASSERT_EQ(listen(fd, 4), 0);
	std::string fix = patch_copy("fix");
	// Its mappings once cat waits in read(): right after the fork they are still this
	// test's, and while cat starts the loader and locale still map files.
	const std::string cat = std::filesystem::canonical("/bin/cat").string();
	std::set<std::string> before;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	while (!(before = mapped_files(plain.pid())).count(cat) &&
	       std::chrono::steady_clock::now() < deadline)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	ASSERT_TRUE(before.count(cat)) << "cat never started";
	ASSERT_TRUE(wait_thread_asleep(plain.pid(), plain.pid()));
	before = mapped_files(plain.pid());
	for (auto args : {std::vector<std::string>{"list", std::to_string(plain.pid())},
			  std::vector<std::string>{"load", std::to_string(plain.pid()), fix}}) {
		CmdResult r = run_graft(args);
		EXPECT_EQ(r.status, 1);
		EXPECT_NE(r.err.find("is served by process " + std::to_string(getpid())),
			  std::string::npos)
			<< r.err;
		EXPECT_NE(r.err.find("squats its socket"), std::string::npos) << r.err;
	}
	EXPECT_EQ(mapped_files(plain.pid()), before) << "the process gained no mapping";
	close(fd);
}

// Runs graft as uid/gid 65534 (nobody), with nobody's default socket directory.
CmdResult graft_as_nobody(const std::vector<std::string> &args)
{
	std::vector<std::string> argv{"setpriv",
				      "--reuid=65534",
				      "--regid=65534",
				      "--clear-groups",
				      "env",
				      "-u",
				      "GRAFT_RUNTIME_DIR",
				      "-u",
				      "XDG_RUNTIME_DIR",
				      out_dir() + "/bin/graft"};
	argv.insert(argv.end(), args.begin(), args.end());
	return run(argv);
}

bool wait_for_file(const std::string &path)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	while (!std::filesystem::exists(path)) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return true;
}

TEST_F(Admission, NonDumpableRefusesItsOwnUser)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root to run the target and graft as another user";
	// The target and the client both run as nobody, with nobody's default socket
	// directory (where root's graft looks for a process of that user). Control at
	// start: the rule under test is the socket's, for a client that does not ptrace.
	std::string rdir = "/tmp/graft-65534";
	Target t(Target::Direct{}, "/usr/bin/setpriv",
		 {"--reuid=65534", "--regid=65534", "--clear-groups", "env", "-u",
		  "GRAFT_RUNTIME_DIR", "-u", "XDG_RUNTIME_DIR", "GRAFT_CONTROL=at-start",
		  "LD_PRELOAD=" + out_dir() + "/lib/libgraft.so", trust_out() + "/trust_prog"});
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(wait_for_file(rdir + "/" + std::to_string(t.pid()) + ".sock"));
	std::string pid = std::to_string(t.pid());
	CmdResult before = graft_as_nobody({"list", pid});
	EXPECT_EQ(before.status, 0)
		<< "its own user is served while it is dumpable: " << before.err;
	ASSERT_EQ(t.ask("nodump"), "nodump on");
	std::set<std::string> mapped = mapped_files(t.pid());
	CmdResult after = graft_as_nobody({"list", pid});
	EXPECT_EQ(after.status, 1);
	EXPECT_NE(after.err.find("permission denied: uid 65534 may not control this process "
				 "(policy): it is not dumpable"),
		  std::string::npos)
		<< after.err;
	EXPECT_EQ(mapped_files(t.pid()), mapped) << "a refused client maps nothing";
	EXPECT_EQ(t.ask("call"), "call: old") << "the process still serves";
	CmdResult root = run_graft({"list", pid});
	EXPECT_EQ(root.status, 0) << "root is still served: " << root.err;
	CmdResult hist = run_graft({"history", pid});
	EXPECT_NE(hist.out.find("connect"), std::string::npos)
		<< "the refusal is audited: " << hist.out;
}

} // namespace
} // namespace graft::test
