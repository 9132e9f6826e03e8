// SPDX-License-Identifier: MIT
// refusals_test.cpp - bad input is refused with exit code 1 and a message naming the
// cause, and the target process answers exactly as before.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process.hpp"

using namespace graft::test;
namespace fs = std::filesystem;

namespace {

std::string patch_path(const std::string &name)
{
	return out_dir() + "/itest/patches/" + name + ".so";
}

class Refusals : public ::testing::Test {
protected:
	void SetUp() override
	{
		target = std::make_unique<Target>(out_dir() + "/itest/itest-target");
		ASSERT_EQ(target->read_line(), "ready");
		ASSERT_TRUE(target->wait_ready());
		pid = std::to_string(target->pid());
	}
	void TearDown() override
	{
		// Whatever was refused, the process answers as before and runs nothing new.
		EXPECT_EQ(target->ask("answer"), "answer 1");
		EXPECT_EQ(target->ask("dup"), "dup 10 20");
		EXPECT_EQ(target->ask("tiny"), "tiny ok");
		EXPECT_EQ(target->finish(), 0);
	}
	// Expects exit code 1 with the message on stderr.
	void refused(const CmdResult &r, const std::string &message)
	{
		EXPECT_EQ(r.status, 1) << r.out << r.err;
		EXPECT_NE(r.err.find(message), std::string::npos)
			<< "stderr should say '" << message << "' but says: " << r.err;
	}
	std::string temp_file(const std::string &name, const std::string &content, mode_t mode)
	{
		std::string path = rundir.path() + "/" + name;
		std::ofstream(path) << content;
		chmod(path.c_str(), mode);
		return path;
	}
	std::string copy_of(const std::string &from, const std::string &name, mode_t mode)
	{
		std::string path = rundir.path() + "/" + name;
		fs::copy_file(from, path, fs::copy_options::overwrite_existing);
		chmod(path.c_str(), mode);
		return path;
	}

	RuntimeDir rundir;
	std::unique_ptr<Target> target;
	std::string pid;
};

TEST_F(Refusals, MissingFile)
{
	refused(run_graft({"load", pid, rundir.path() + "/nothing-here.so"}), "does not exist");
}

TEST_F(Refusals, NotAnElfFile)
{
	std::string path = temp_file("text.so", "this is not an ELF file\n", 0644);
	refused(run_graft({"load", pid, path}), "cannot load patch module");
}

TEST_F(Refusals, SharedObjectWithoutTheExport)
{
	refused(run_graft({"load", pid, patch_path("itest-noexport")}),
		"does not export 'graft_patch_export'");
}

TEST_F(Refusals, WrongAbiVersion)
{
	refused(run_graft({"load", pid, patch_path("itest-badabi")}),
		"ABI version 99 is not supported (this runtime supports 1 to 3)");
}

TEST_F(Refusals, UnknownFunction)
{
	refused(run_graft({"load", pid, patch_path("itest-unknown")}),
		"symbol 'no_such_function' not found in symbol table");
}

TEST_F(Refusals, AmbiguousNameWithSymposZero)
{
	refused(run_graft({"load", pid, patch_path("itest-dup0")}),
		"unresolvable ambiguity for symbol 'dup_value' in object 'itest-target'");
}

TEST_F(Refusals, SymposOutOfRange)
{
	refused(run_graft({"load", pid, patch_path("itest-dup3")}),
		"symbol position 3 for symbol 'dup_value' in object 'itest-target' not found");
}

TEST_F(Refusals, UnpatchableFunction)
{
	refused(run_graft({"load", pid, patch_path("itest-tiny")}),
		"cannot patch function 'itest_tiny'");
}

// A graft_sym naming a thread-local (STT_TLS) symbol: its cell would hold one address
// (the library's base plus an offset in the TLS block) for every thread.
TEST_F(Refusals, ThreadLocalGraftSym)
{
	refused(run_graft({"load", pid, patch_path("itest-sym-tls")}),
		"symbol 'itest_tls_value' in object 'itest-target' is thread-local (STT_TLS)");
	EXPECT_EQ(run_graft({"list", pid}).out.find("itest-sym-tls"), std::string::npos);
}

TEST_F(Refusals, SamePatchLoadedTwice)
{
	ASSERT_EQ(run_graft({"load", pid, patch_path("itest-answer")}).status, 0);
	refused(run_graft({"load", pid, patch_path("itest-answer")}), "already loaded");
	EXPECT_EQ(target->ask("answer"), "answer 2");
	ASSERT_EQ(run_graft({"disable", pid, "itest-answer"}).status, 0);
}

TEST_F(Refusals, UnloadWhileEnabled)
{
	ASSERT_EQ(run_graft({"load", pid, patch_path("itest-answer")}).status, 0);
	refused(run_graft({"unload", pid, "itest-answer"}), "disable it before unloading");
	EXPECT_EQ(target->ask("answer"), "answer 2");
	ASSERT_EQ(run_graft({"disable", pid, "itest-answer"}).status, 0);
}

TEST_F(Refusals, ProcessWithoutTheRuntimeOrNotExisting)
{
	refused(run_graft({"load", std::to_string(getpid()), patch_path("itest-answer")}),
		"does not have the graft runtime");
	// A pid that existed a moment ago: a child that has been reaped.
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, nullptr, 0);
	refused(run_graft({"list", std::to_string(gone)}), "no process " + std::to_string(gone));
}

TEST_F(Refusals, PatchFileWritableByOthers)
{
	std::string path = copy_of(patch_path("itest-answer"), "writable.so", 0666);
	refused(run_graft({"load", pid, path}), "is writable by group and others: chmod go-w");
}

// Talks to the control socket directly; returns what the runtime answered (may be "").
std::string raw_request(const std::string &sock_path, const std::string &bytes)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path.c_str());
	if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		close(fd);
		return "connect failed";
	}
	size_t off = 0;
	while (off < bytes.size()) {
		ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; // the runtime may close an oversized request early
		off += size_t(n);
	}
	shutdown(fd, SHUT_WR);
	std::string reply;
	pollfd pfd{fd, POLLIN, 0};
	while (poll(&pfd, 1, 30000) > 0) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		reply.append(buf, size_t(n));
	}
	close(fd);
	return reply;
}

TEST_F(Refusals, MalformedAndOversizedRequests)
{
	std::string sock = rundir.path() + "/" + pid + ".sock";
	std::string reply = raw_request(sock, "this is not json\n");
	EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
	reply = raw_request(sock, "{\"v\":1,\"cmd\":\"no-such-command\"}\n");
	EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
	raw_request(sock, std::string(4 << 20, 'x'));
	EXPECT_EQ(run_graft({"list", pid}).status, 0)
		<< "the server still serves after a 4 MiB request";
}

// A user other than the process's own (and not root) is refused even when the socket's
// file permissions would let it in.
TEST_F(Refusals, ClientOfAnotherUser)
{
	if (geteuid() != 0) {
		GTEST_SKIP() << "creating a second user needs root; run as root to cover this";
	}
	if (!getpwnam("graft-test")) {
		ASSERT_EQ(run({"useradd", "--system", "--no-create-home", "graft-test"}).status, 0);
	}
	passwd *pw = getpwnam("graft-test");
	ASSERT_NE(pw, nullptr);
	std::string sock = rundir.path() + "/" + pid + ".sock";
	chmod(rundir.path().c_str(), 0755);
	chmod(sock.c_str(), 0777);
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		if (setgroups(0, nullptr) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
			_exit(3);
		std::string reply = raw_request(sock, "{\"v\":1,\"cmd\":\"list\"}\n");
		(void)!write(pipefd[1], reply.data(), reply.size());
		_exit(0);
	}
	close(pipefd[1]);
	std::string reply;
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		reply.append(buf, size_t(n));
	close(pipefd[0]);
	int status = 0;
	waitpid(child, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
	EXPECT_EQ(reply.find("\"patches\""), std::string::npos)
		<< "no data for a stranger: " << reply;
}

} // namespace
