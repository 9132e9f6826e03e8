// SPDX-License-Identifier: MIT
// foundation_test.cpp - patch and unpatch functions of a running process through the
// graft command: in the executable, in a shared library, static ones, stacked, unloaded,
// with exceptions thrown through them and threads calling them all the while. Each test
// runs on the target built plainly (detour entries) and with patchable entries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "process.hpp"

using namespace graft::test;

namespace {

std::string patch_path(const std::string &name)
{
	return out_dir() + "/itest/patches/" + name + ".so";
}

class Foundation : public ::testing::TestWithParam<std::string> {
protected:
	void SetUp() override
	{
		std::string dir = out_dir() + (GetParam() == "pfe" ? "/itest/pfe" : "/itest");
		target = std::make_unique<Target>(dir + "/itest-target");
		ASSERT_EQ(target->read_line(), "ready");
		ASSERT_TRUE(target->wait_ready());
		pid = std::to_string(target->pid());
	}
	void TearDown() override
	{
		if (target) {
			EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
		}
	}
	CmdResult load(const std::string &name, bool enable = true)
	{
		std::vector<std::string> args{"load", pid, patch_path(name)};
		if (!enable)
			args.push_back("--no-enable");
		return run_graft(args);
	}
	void ok(const CmdResult &r) { ASSERT_EQ(r.status, 0) << r.err; }

	RuntimeDir rundir;
	std::unique_ptr<Target> target;
	std::string pid;
};

TEST_P(Foundation, PatchAndUnpatchAFunctionOfTheExecutable)
{
	EXPECT_EQ(target->ask("answer"), "answer 1");
	ok(load("itest-answer"));
	EXPECT_EQ(target->ask("answer"), "answer 2");
	ok(run_graft({"disable", pid, "itest-answer"}));
	EXPECT_EQ(target->ask("answer"), "answer 1");
	ok(run_graft({"unload", pid, "itest-answer"}));
	// Loading it again after the unload works like the first time.
	ok(load("itest-answer"));
	EXPECT_EQ(target->ask("answer"), "answer 2");
}

TEST_P(Foundation, LogShowsTheKernelsMessagesInOrder)
{
	ok(load("itest-answer"));
	ok(run_graft({"disable", pid, "itest-answer"}));
	CmdResult log = run_graft({"log", pid, "--no-time"});
	ok(log);
	std::vector<std::string> want = {
		"graft: enabling patch 'itest-answer'",
		"graft: 'itest-answer': initializing patching transition",
		"graft: 'itest-answer': starting patching transition",
		"graft: 'itest-answer': completing patching transition",
		"graft: 'itest-answer': patching complete",
		"graft: 'itest-answer': initializing unpatching transition",
		"graft: 'itest-answer': starting unpatching transition",
		"graft: 'itest-answer': completing unpatching transition",
		"graft: 'itest-answer': unpatching complete",
	};
	std::vector<std::string> got;
	for (const auto &line : lines_of(log.out))
		if (line.find("itest-answer") != std::string::npos)
			got.push_back(line);
	EXPECT_EQ(got, want) << log.out;
}

TEST_P(Foundation, PatchAFunctionOfASharedLibrary)
{
	EXPECT_EQ(target->ask("lib"), "lib 100");
	ok(load("itest-libpatch"));
	EXPECT_EQ(target->ask("lib"), "lib 200");
	ok(run_graft({"disable", pid, "itest-libpatch"}));
	EXPECT_EQ(target->ask("lib"), "lib 100");
}

TEST_P(Foundation, PatchStaticFunctionsThatShareAName)
{
	EXPECT_EQ(target->ask("dup"), "dup 10 20");
	ok(load("itest-dup1"));
	EXPECT_EQ(target->ask("dup"), "dup 11 20");
	ok(load("itest-dup2"));
	EXPECT_EQ(target->ask("dup"), "dup 11 21");
	ok(run_graft({"disable", pid, "itest-dup1"}));
	EXPECT_EQ(target->ask("dup"), "dup 10 21");
	ok(run_graft({"disable", pid, "itest-dup2"}));
	EXPECT_EQ(target->ask("dup"), "dup 10 20");
}

TEST_P(Foundation, StackedPatchesOnOneFunction)
{
	ok(load("itest-answer"));
	ok(load("itest-answer2"));
	EXPECT_EQ(target->ask("answer"), "answer 3") << "the newest enabled patch wins";
	ok(run_graft({"disable", pid, "itest-answer"}));
	EXPECT_EQ(target->ask("answer"), "answer 3") << "disabling a lower patch keeps the top";
	ok(run_graft({"enable", pid, "itest-answer"}));
	EXPECT_EQ(target->ask("answer"), "answer 2") << "re-enabled, it is the newest";
	ok(run_graft({"disable", pid, "itest-answer"}));
	EXPECT_EQ(target->ask("answer"), "answer 3") << "falls back to the one below";
	ok(run_graft({"disable", pid, "itest-answer2"}));
	EXPECT_EQ(target->ask("answer"), "answer 1") << "then to the original";
}

TEST_P(Foundation, ExceptionsThrownThroughAPatchedFunction)
{
	EXPECT_EQ(target->ask("throw 2"), "wrapper 6");
	EXPECT_EQ(target->ask("throw -1"), "caught negative");
	ok(load("itest-wrapper"));
	EXPECT_EQ(target->ask("throw 2"), "wrapper 9");
	EXPECT_EQ(target->ask("throw -1"), "caught negative");
	ok(run_graft({"disable", pid, "itest-wrapper"}));
	EXPECT_EQ(target->ask("throw 2"), "wrapper 6");
	EXPECT_EQ(target->ask("throw -1"), "caught negative");
}

TEST_P(Foundation, ListShowsFunctionsAndTheirEntryKind)
{
	ok(load("itest-answer"));
	CmdResult r = run_graft({"list", pid, "--json"});
	ok(r);
	auto list = nlohmann::json::parse(r.out);
	auto patches = list.is_array() ? list : list.at("patches");
	ASSERT_EQ(patches.size(), 1u) << r.out;
	EXPECT_EQ(patches[0]["name"], "itest-answer");
	EXPECT_EQ(patches[0]["enabled"], true);
	auto func = patches[0]["objects"][0]["funcs"][0];
	EXPECT_EQ(func["name"], "itest_answer");
	EXPECT_EQ(func["entry_kind"], GetParam() == "pfe" ? "patchable" : "detour") << r.out;
	EXPECT_EQ(func["active"], true);
}

TEST_P(Foundation, ThreadsCallingPatchedFunctionsWhilePatchingRepeatedly)
{
	ok(load("itest-answer", false));
	ok(load("itest-libpatch", false));
	EXPECT_EQ(target->ask("spin 4"), "spinning 4");
	// 200 rounds, 50 under AddressSanitizer (test_rounds).
	for (int i = 0; i < test_rounds(200); i++) {
		ok(run_graft({"enable", pid, "itest-answer"}));
		ok(run_graft({"enable", pid, "itest-libpatch"}));
		ok(run_graft({"disable", pid, "itest-answer"}));
		ok(run_graft({"disable", pid, "itest-libpatch"}));
		ASSERT_TRUE(target->alive())
			<< "round " << i << ", exit status " << target->exit_status();
	}
	std::string stop = target->ask("stop");
	long calls = -1, bad = -1;
	ASSERT_EQ(sscanf(stop.c_str(), "calls %ld bad %ld", &calls, &bad), 2) << stop;
	EXPECT_GT(calls, 0);
	EXPECT_EQ(bad, 0) << "every call returns the old or the new answer";
	EXPECT_EQ(target->ask("answer"), "answer 1");
	EXPECT_EQ(target->ask("lib"), "lib 100");
}

// Whether the target has a file mapping whose name contains what.
bool maps_name(pid_t pid, const std::string &what)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
	std::string line;
	while (std::getline(in, line))
		if (line.find(what) != std::string::npos)
			return true;
	return false;
}

// Issue 17: libelf, Zydis and liburcu-bp are loaded with the first patch, not at start-up
// (every process the runtime is preloaded into paid for them), and patching then works.
TEST_P(Foundation, LibelfZydisAndLiburcuAreLoadedOnlyWithTheFirstPatch)
{
	EXPECT_FALSE(maps_name(target->pid(), "libelf")) << "loaded before any patch";
	EXPECT_FALSE(maps_name(target->pid(), "libZydis")) << "loaded before any patch";
	EXPECT_FALSE(maps_name(target->pid(), "liburcu")) << "loaded before any patch";
	ok(load("itest-libpatch"));
	EXPECT_EQ(target->ask("lib"), "lib 200");
	EXPECT_TRUE(maps_name(target->pid(), "libelf"));
	EXPECT_TRUE(maps_name(target->pid(), "libZydis"));
	EXPECT_TRUE(maps_name(target->pid(), "liburcu-bp"));
}

INSTANTIATE_TEST_SUITE_P(Entry, Foundation, ::testing::Values("plain", "pfe"));

} // namespace
