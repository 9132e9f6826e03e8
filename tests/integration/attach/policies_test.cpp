// SPDX-License-Identifier: MIT
// policies_test.cpp - graft attach on processes under a policy (policy_target.c): a
// hijacked call that never returns, no thread that may be borrowed, a non-dumpable
// process, MemoryDenyWriteExecute (PR_SET_MDWE). Each refusal names its cause and
// fix, and the process still serves afterwards, untraced and without the runtime.
#include "attach_test.hpp"

#include "transition.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

std::unique_ptr<Target> start_policy(const std::string &mode, std::string *first)
{
	auto t = std::make_unique<Target>(Target::Direct{}, att_dir() + "/policy-target",
					  std::vector<std::string>{mode});
	*first = t->read_line();
	// Its one thread asleep in its system call, not on its way there inside libc
	// (a thread inside the C library is rightly not borrowed).
	EXPECT_TRUE(wait_thread_asleep(t->pid(), t->pid()));
	return t;
}

void expect_untouched(Target &t)
{
	EXPECT_EQ(t.ask("answer"), "answer 1");
	std::string who;
	EXPECT_TRUE(untraced(t.pid(), &who)) << who;
	std::ifstream maps("/proc/" + std::to_string(t.pid()) + "/maps");
	std::string text((std::istreambuf_iterator<char>(maps)), {});
	EXPECT_EQ(text.find("libgraft"), std::string::npos);
}

// The borrowed thread's pthread_create blocks in clone (a seccomp supervisor that
// never answers): after the hijack deadline (2 s) the thread is restored and the
// attach refused.
TEST(AttachPolicy, AHijackedCallThatNeverReturnsIsRestored)
{
	RuntimeDir dir;
	std::string first;
	auto t = start_policy("hang", &first);
	ASSERT_EQ(first, "ready");
	CmdResult r = run_graft({"attach", std::to_string(t->pid())});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("did not return within"));
	EXPECT_THAT(r.err, HasSubstr("the thread was restored"));
	EXPECT_THAT(r.err, HasSubstr("try again"));
	expect_untouched(*t);
}

// The only thread waits in epoll_wait, which a ptrace stop interrupts: it is never
// borrowed, the attach is refused and the program sees no EINTR.
TEST(AttachPolicy, NoThreadAtASafePointIsRefused)
{
	RuntimeDir dir;
	std::string first;
	auto t = start_policy("epoll", &first);
	ASSERT_EQ(first, "ready");
	CmdResult r = run_graft({"attach", std::to_string(t->pid())});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("cannot borrow a thread"));
	EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
	EXPECT_EQ(t->ask("errors"), "eintr 0");
	expect_untouched(*t);
}

// Its own user may not read a non-dumpable process: the refusal says so (before,
// the unreadable map was reported as "statically linked").
TEST(AttachPolicy, ANonDumpableProcessIsRefused)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root: the target drops to user nobody, graft runs as nobody";
	RuntimeDir dir;
	std::string first;
	auto t = start_policy("nodump", &first);
	ASSERT_EQ(first, "ready");
	std::string err;
	EXPECT_EQ(run_graft_as_nobody({"attach", std::to_string(t->pid())}, &err), 1) << err;
	EXPECT_THAT(err, HasSubstr("non-dumpable"));
	EXPECT_THAT(err, HasSubstr("run graft as root"));
	expect_untouched(*t);
}

// PR_SET_MDWE (Linux >= 6.3; systemd's MemoryDenyWriteExecute= on such kernels): no
// mapping may become writable and executable, so the runtime's code writes go through
// /proc/self/mem. Attached and patched.
TEST(AttachPolicy, AProcessUnderMdweIsAttachedAndPatched)
{
	RuntimeDir dir;
	std::string first;
	auto t = start_policy("mdwe", &first);
	if (first.rfind("no-mdwe", 0) == 0)
		GTEST_SKIP() << "this kernel refuses PR_SET_MDWE (" << first
			     << "): MDWE needs Linux 6.3 or later; not tested here";
	ASSERT_EQ(first, "ready");
	std::string pid = std::to_string(t->pid());
	CmdResult r = run_graft({"load", "--attach", pid, patch_file()});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t->ask("answer"), "answer 2");
	r = run_graft({"disable", pid, "attach-patch"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(t->ask("answer"), "answer 1");
	std::string who;
	EXPECT_TRUE(untraced(t->pid(), &who)) << who;
}

} // namespace
