// SPDX-License-Identifier: MIT
// fork_exec_test.cpp - the runtime across fork and exec, and `graft run --patch`: a fork
// child keeps its patches but is its own process (socket, log, patch state); an exec'd
// image has the runtime but nothing patched; startup patches apply before main.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <memory>

#include "proc_support.hpp"
#include "process.hpp"

using namespace graft::test;
using namespace graft::test::proc;

namespace {

using Names = std::vector<std::string>;

bool contains(const std::string &text, const std::string &part)
{
	return text.find(part) != std::string::npos;
}

bool exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

// A proc-target with proc-answer enabled, forked once: the child serves a FifoPeer.
class Fork : public ::testing::Test {
protected:
	void SetUp() override
	{
		target = std::make_unique<Target>(fixture("proc-target"));
		ASSERT_EQ(target->read_line(), "ready gen1 1");
		ASSERT_TRUE(target->wait_ready());
		parent = target->pid();
		ASSERT_EQ(run_graft({"load", P(), patch("proc-answer")}).status, 0);
		ASSERT_EQ(target->ask("answer"), "answer 2");
		std::string forked = target->ask(peer.fork_command());
		ASSERT_EQ(forked.rfind("forked ", 0), 0u) << forked;
		child = std::stoi(forked.substr(7));
		guard = std::make_unique<KillGuard>(child);
		ASSERT_TRUE(peer.connect()) << "the forked child never opened its FIFO";
		ASSERT_EQ(peer.read_line(), "child ready " + C());
	}
	void TearDown() override
	{
		// Both processes still serve and end cleanly.
		peer.ask("quit", 0);
		peer.close_input();
		EXPECT_EQ(target->ask("reap"), "reaped exit 0");
		guard->release();
		EXPECT_EQ(target->finish(), 0);
	}
	std::string P() const { return std::to_string(parent); }
	std::string C() const { return std::to_string(child); }
	// Both answers at once, e.g. "2/1" for parent 2, child 1.
	std::string answers()
	{
		std::string p = target->ask("answer"), c = peer.ask("answer");
		return p.substr(p.find(' ') + 1) + "/" + c.substr(c.find(' ') + 1);
	}

	RuntimeDir rundir;
	FifoPeer peer{rundir.path()};
	std::unique_ptr<Target> target;
	std::unique_ptr<KillGuard> guard;
	pid_t parent = -1, child = -1;
};

TEST_F(Fork, ChildKeepsThePatchAndHasItsOwnSocketAndLog)
{
	EXPECT_EQ(peer.ask("pid"), "pid " + C());
	EXPECT_EQ(peer.ask("answer"), "answer 2") << "the child lost the parent's patch";
	ASSERT_TRUE(wait_for([&] { return exists(rundir.path() + "/" + C() + ".sock"); }))
		<< "no control socket for the child";
	EXPECT_EQ(patches_of(child), Names{"proc-answer+"});
	EXPECT_EQ(patches_of(parent), Names{"proc-answer+"});

	std::string log = log_of(child);
	EXPECT_TRUE(
		contains(log, "graft: runtime in process " + C() + " (forked), 1 patch(es) kept"))
		<< log;
	EXPECT_FALSE(contains(log, "enabling patch 'proc-answer'")) << "parent's lines leaked:\n"
								    << log;
	EXPECT_FALSE(contains(log, "loaded in process " + P())) << "parent's lines leaked:\n"
								<< log;
	std::string parent_log = log_of(parent);
	EXPECT_TRUE(contains(parent_log, "enabling patch 'proc-answer'")) << parent_log;
	EXPECT_FALSE(contains(parent_log, "(forked)")) << parent_log;
}

TEST_F(Fork, UnpatchingTheChildLeavesTheParentPatched)
{
	ASSERT_EQ(run_graft({"disable", C(), "proc-answer"}).status, 0);
	EXPECT_EQ(answers(), "2/1");
	EXPECT_EQ(patches_of(child), Names{"proc-answer-"});
	EXPECT_EQ(patches_of(parent), Names{"proc-answer+"});
	ASSERT_EQ(run_graft({"unload", C(), "proc-answer"}).status, 0);
	EXPECT_EQ(patches_of(child), Names{});
	EXPECT_EQ(patches_of(parent), Names{"proc-answer+"});
	EXPECT_EQ(answers(), "2/1");
	EXPECT_FALSE(contains(log_of(parent), "unpatching"))
		<< "the child's operation shows in the parent's log";
	EXPECT_TRUE(contains(log_of(child), "graft: 'proc-answer': unpatching complete"))
		<< log_of(child);
}

TEST_F(Fork, PatchingTheParentLeavesTheChildAlone)
{
	ASSERT_EQ(run_graft({"load", P(), patch("proc-answer3")}).status, 0);
	EXPECT_EQ(answers(), "3/2");
	EXPECT_EQ(patches_of(child), Names{"proc-answer+"});
	ASSERT_EQ(run_graft({"disable", P(), "proc-answer3"}).status, 0);
	ASSERT_EQ(run_graft({"disable", P(), "proc-answer"}).status, 0);
	EXPECT_EQ(answers(), "1/2");
	EXPECT_EQ(patches_of(parent), (Names{"proc-answer-", "proc-answer3-"}));
	EXPECT_EQ(patches_of(child), Names{"proc-answer+"});
	// And the child's own operations still work on the state it inherited.
	ASSERT_EQ(run_graft({"load", C(), patch("proc-answer3")}).status, 0);
	EXPECT_EQ(answers(), "1/3");
	ASSERT_EQ(run_graft({"disable", C(), "proc-answer3"}).status, 0);
	ASSERT_EQ(run_graft({"disable", C(), "proc-answer"}).status, 0);
	EXPECT_EQ(answers(), "1/1");
	ASSERT_EQ(run_graft({"enable", P(), "proc-answer"}).status, 0);
	EXPECT_EQ(answers(), "2/1");
}

// The same, in a process under MemoryDenyWriteExecute (PR_SET_MDWE, as systemd's
// MemoryDenyWriteExecute=yes sets it), where graft writes code through /proc/self/mem:
// the child must write its own memory, not its parent's through the parent's
// descriptor (which failed with EIO, or patched the parent).
class ForkUnderMdwe : public Fork {
protected:
	void SetUp() override
	{
		setenv("PROC_TARGET_MDWE", "1", 1);
		Fork::SetUp();
		unsetenv("PROC_TARGET_MDWE");
	}
};

TEST_F(ForkUnderMdwe, ChildPatchesItselfWithoutTouchingTheParent)
{
	std::string mdwe = target->ask("mdwe");
	if (mdwe != "mdwe 1")
		GTEST_SKIP() << "PR_SET_MDWE is not supported by this kernel (" << mdwe << ")";
	EXPECT_EQ(peer.ask("mdwe"), "mdwe 1") << "the child inherits MDWE";
	CmdResult r = run_graft({"load", C(), patch("proc-answer3")});
	ASSERT_EQ(r.status, 0) << "graft load in the child: " << r.err;
	EXPECT_EQ(answers(), "2/3");
	r = run_graft({"disable", C(), "proc-answer3"});
	ASSERT_EQ(r.status, 0) << "graft disable in the child: " << r.err;
	r = run_graft({"disable", C(), "proc-answer"});
	ASSERT_EQ(r.status, 0) << "graft disable in the child: " << r.err;
	EXPECT_EQ(answers(), "2/1");
	r = run_graft({"disable", P(), "proc-answer"});
	ASSERT_EQ(r.status, 0) << "graft disable in the parent: " << r.err;
	EXPECT_EQ(answers(), "1/1");
}

// After exec the same pid is a new image: the runtime is there (LD_PRELOAD is inherited)
// with a new socket and log, and nothing is patched.
void expect_clean_exec(Target &target)
{
	std::string pid = std::to_string(target.pid());
	EXPECT_EQ(target.ask("env GRAFT_PATCHES"), "env GRAFT_PATCHES unset")
		<< "the runtime must remove GRAFT_PATCHES so exec'd programs start clean";
	target.ask("exec", 0);
	// The old image's "exec" has no answer: the next line is the new image's greeting.
	ASSERT_EQ(target.read_line(), "ready gen2 1") << "the exec'd image answers patched";
	ASSERT_TRUE(wait_for([&] { return patches_of(target.pid()) == Names{}; }))
		<< "graft list after exec: " << testing::PrintToString(patches_of(target.pid()));
	EXPECT_EQ(target.ask("answer"), "answer 1");
	EXPECT_EQ(target.ask("env GRAFT_PATCHES"), "env GRAFT_PATCHES unset");
	EXPECT_TRUE(contains(target.ask("env LD_PRELOAD"), "libgraft.so"));
	std::string log = log_of(target.pid());
	EXPECT_TRUE(contains(log, "loaded in process " + pid)) << log;
	EXPECT_FALSE(contains(log, "enabling patch")) << "the old image's log survived exec:\n"
						      << log;
	EXPECT_EQ(target.finish(), 0);
}

TEST(Exec, LoadedPatchDoesNotSurviveExec)
{
	RuntimeDir rundir;
	Target target(fixture("proc-target"));
	ASSERT_EQ(target.read_line(), "ready gen1 1");
	ASSERT_TRUE(target.wait_ready());
	ASSERT_EQ(run_graft({"load", std::to_string(target.pid()), patch("proc-answer")}).status,
		  0);
	ASSERT_EQ(target.ask("answer"), "answer 2");
	expect_clean_exec(target);
}

TEST(Exec, RunPatchDoesNotLeakIntoTheExecdImage)
{
	RuntimeDir rundir;
	Target target(fixture("proc-target"), {}, {"--patch", patch("proc-answer")});
	ASSERT_EQ(target.read_line(), "ready gen1 2");
	ASSERT_TRUE(target.wait_ready());
	ASSERT_EQ(patches_of(target.pid()), Names{"proc-answer+"});
	expect_clean_exec(target);
}

TEST(RunPatch, AppliedBeforeMain)
{
	RuntimeDir rundir;
	Target target(fixture("proc-target"), {},
		      {"--patch", patch("proc-answer"), "--patch", patch("proc-answer3")});
	// main's first line already calls the newest replacement.
	ASSERT_EQ(target.read_line(), "ready gen1 3");
	ASSERT_TRUE(target.wait_ready());
	EXPECT_EQ(patches_of(target.pid()), (Names{"proc-answer+", "proc-answer3+"}));
	ASSERT_EQ(run_graft({"disable", std::to_string(target.pid()), "proc-answer3"}).status, 0);
	EXPECT_EQ(target.ask("answer"), "answer 2");
	ASSERT_EQ(run_graft({"disable", std::to_string(target.pid()), "proc-answer"}).status, 0);
	EXPECT_EQ(target.ask("answer"), "answer 1");
	EXPECT_EQ(target.finish(), 0);
}

TEST(RunPatch, BadPatchIsLoggedAndTheProgramRunsUnpatched)
{
	RuntimeDir rundir;
	std::string bogus = rundir.path() + "/not-a-patch.so";
	FILE *f = fopen(bogus.c_str(), "w");
	ASSERT_NE(f, nullptr);
	fputs("not an ELF file\n", f);
	fclose(f);
	Target target(fixture("proc-target"), {}, {"--patch", bogus});
	ASSERT_EQ(target.read_line(), "ready gen1 1");
	ASSERT_TRUE(target.wait_ready());
	EXPECT_EQ(patches_of(target.pid()), Names{});
	EXPECT_TRUE(contains(log_of(target.pid()), "cannot load '" + bogus + "' at start"))
		<< log_of(target.pid());
	EXPECT_EQ(target.finish(), 0);
}

} // namespace
