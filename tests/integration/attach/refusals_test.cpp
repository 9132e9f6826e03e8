// SPDX-License-Identifier: MIT
// refusals_test.cpp - every refusal of `graft attach` that can be made on this machine:
// each names its cause and fix, and the target still serves afterwards, untraced and
// without the runtime.
#include "attach_test.hpp"

#include "transition.hpp"

#include <chrono>
#include <csignal>
#include <thread>

#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class AttachRefusal : public ServiceTest {
protected:
	// Still serving, untraced, and no runtime was loaded.
	// (A SIGSTOP and SIGCONT alone make epoll_wait return EINTR: the stopped test
	// does not count them.)
	void expect_untouched(bool count_eintr = true)
	{
		EXPECT_EQ(svc->ask("answer"), "answer 1");
		if (count_eintr) {
			EXPECT_EQ(svc->ask("errors"), "eintr 0 short 0");
		}
		std::string who;
		EXPECT_TRUE(untraced(svc->pid(), &who)) << who;
		std::ifstream maps("/proc/" + pid() + "/maps");
		std::string text((std::istreambuf_iterator<char>(maps)), {});
		EXPECT_EQ(text.find("libgraft"), std::string::npos);
	}
};

TEST_F(AttachRefusal, AlreadyTracedNamesTheTracer)
{
	ASSERT_EQ(ptrace(PTRACE_SEIZE, svc->pid(), nullptr, nullptr), 0) << strerror(errno);
	CmdResult r = run_graft({"attach", pid()});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("already traced by process " + std::to_string(getpid())));
	EXPECT_THAT(r.err, HasSubstr("detach"));
	// Detaching needs a stopped tracee.
	ASSERT_EQ(ptrace(PTRACE_INTERRUPT, svc->pid(), nullptr, nullptr), 0) << strerror(errno);
	int status = 0;
	ASSERT_EQ(waitpid(svc->pid(), &status, __WALL), svc->pid());
	ASSERT_EQ(ptrace(PTRACE_DETACH, svc->pid(), nullptr, nullptr), 0) << strerror(errno);
	expect_untouched();
}

TEST_F(AttachRefusal, AStoppedProcessIsRefused)
{
	ASSERT_EQ(kill(svc->pid(), SIGSTOP), 0);
	bool stopped = false;
	for (int i = 0; i < 5000 && !stopped; i++) {
		std::ifstream st("/proc/" + pid() + "/stat");
		std::string s;
		std::getline(st, s);
		stopped = s.find(") T") != std::string::npos;
		if (!stopped)
			usleep(1000);
	}
	ASSERT_TRUE(stopped);
	CmdResult r = run_graft({"attach", pid()});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("is stopped"));
	EXPECT_THAT(r.err, HasSubstr("kill -CONT " + pid()));
	ASSERT_EQ(kill(svc->pid(), SIGCONT), 0);
	expect_untouched(false);
}

TEST_F(AttachRefusal, AnotherUsersProcessIsRefused)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root to run graft as another user";
	// graft as user nobody (65534) against root's service.
	std::string err;
	EXPECT_EQ(run_graft_as_nobody({"attach", pid()}, &err), 1) << err;
	EXPECT_THAT(err, HasSubstr("not permitted to attach to process " + pid()));
	EXPECT_THAT(err, HasSubstr("as root"));
	expect_untouched();
}

// The runtime's initial-exec TLS no longer fits in glibc's static TLS reserve: the
// dlopen fails in the boot thread, which then exits; the service is as it was.
TEST_F(AttachRefusal, NoStaticTlsLeft)
{
	ASSERT_EQ(svc->ask("tls"), "tls loaded");
	std::string threads = svc->ask("threads");
	CmdResult r = run_graft({"attach", pid()});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("static TLS"));
	EXPECT_THAT(r.err, HasSubstr("graft run"));
	expect_untouched();
	// The boot thread is gone (the churning threads come and go: poll).
	// Until a generous deadline, not a number of tries: on a loaded machine 2,000 asks
	// once ran out first.
	bool back = false;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	while (!back && std::chrono::steady_clock::now() < deadline) {
		back = svc->ask("threads") == threads;
		if (!back)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	EXPECT_TRUE(back) << "the boot thread must exit";
}

TEST(AttachRefusalStatic, AStaticallyLinkedProgramIsRefused)
{
	RuntimeDir dir;
	Target t(Target::Direct{}, att_dir() + "/static-target");
	ASSERT_EQ(t.read_line(), "ready");
	CmdResult r = run_graft({"attach", std::to_string(t.pid())});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("statically linked"));
	EXPECT_EQ(t.ask("ping"), "pong");
	std::string who;
	EXPECT_TRUE(untraced(t.pid(), &who)) << who;
}

// A seccomp filter that forbids new threads: the borrowed thread's pthread_create fails,
// it is restored, and the message names the filter.
TEST(AttachRefusalSeccomp, AFilterForbiddingThreadsIsNamed)
{
	RuntimeDir dir;
	Target t(Target::Direct{}, att_dir() + "/seccomp-target");
	ASSERT_EQ(t.read_line(), "ready");
	// Asleep in read, not inside libc on its way there (that thread is not borrowed).
	ASSERT_TRUE(wait_thread_asleep(t.pid(), t.pid()));
	CmdResult r = run_graft({"attach", std::to_string(t.pid())});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("Operation not permitted"));
	EXPECT_THAT(r.err, HasSubstr("seccomp"));
	EXPECT_THAT(r.err, HasSubstr("restored"));
	EXPECT_EQ(t.ask("ping"), "pong");
	std::string who;
	EXPECT_TRUE(untraced(t.pid(), &who)) << who;
}

TEST(AttachRefusalMissing, NoSuchProcess)
{
	CmdResult r = run_graft({"attach", "999999999"});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("no process 999999999"));
}

} // namespace
