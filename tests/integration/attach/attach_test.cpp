// SPDX-License-Identifier: MIT
// attach_test.cpp - `graft attach` on processes started without graft: the C service
// is attached while its threads block and churn, patched (answers change, a thread and
// a library that come after the attach are patched, a busy thread holds the transition),
// nobody sees EINTR, no tracer is left; the vector registers of the borrowed thread are
// what they were.
#include "attach_test.hpp"

#include "transition.hpp"

#include <chrono>
#include <thread>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

using Attach = ServiceTest;

TEST_F(Attach, AttachesAPatchChangesTheAnswersAndNothingIsLeftBehind)
{
	EXPECT_EQ(svc->ask("answer"), "answer 1");
	CmdResult r;
	nlohmann::json j = attach_json(svc->pid(), &r);
	ASSERT_TRUE(j.is_object()) << r.out << r.err;
	EXPECT_TRUE(j["attached"].get<bool>());
	std::string who;
	EXPECT_TRUE(untraced(svc->pid(), &who)) << who;
	EXPECT_THAT(graft_log(svc->pid()), HasSubstr("attached to process " + pid()));
	// Idempotent.
	r = run_graft({"attach", pid()});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_THAT(r.out, HasSubstr("already attached"));

	r = run_graft({"load", pid(), patch_file()});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(svc->ask("answer"), "answer 2");
	EXPECT_EQ(svc->ask("spawn"), "spawn 2") << "a thread created after the attach";
	EXPECT_EQ(svc->ask("lib"), "lib 200") << "a library dlopened after the attach";
	EXPECT_EQ(svc->ask("errors"), "eintr 0 short 0");
	int rounds = std::stoi(svc->ask("busy").substr(5));
	EXPECT_TRUE(untraced(svc->pid(), &who)) << who;
	// The dlopen/dlclose thread still runs (no lock was left held): it moves within a
	// generous deadline (a round is a dlopen, a dlclose and a 1 ms sleep; a busy 2-core
	// machine can hold it back longer than a burst of asks).
	bool moved = false;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (!moved && std::chrono::steady_clock::now() < deadline) {
		moved = std::stoi(svc->ask("busy").substr(5)) > rounds;
		if (!moved)
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	EXPECT_TRUE(moved);
	r = run_graft({"disable", pid(), "attach-patch"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(svc->ask("answer"), "answer 1");
	EXPECT_TRUE(svc->alive());
}

// A library dlopened after the attach is patched before its constructors run: its
// constructor calls the replaced function and must see the patch (the loader's
// breakpoint, loader/debug_state.cpp). dlmopen into the program's namespace too.
TEST_F(Attach, ALibraryDlopenedLaterIsPatchedBeforeItsConstructors)
{
	ASSERT_EQ(run_graft({"load", "--attach", pid(), patch_file()}).status, 0);
	EXPECT_EQ(svc->ask("ctor"), "ctor 300 now 300") << graft_log(svc->pid());
	EXPECT_THAT(graft_log(svc->pid()), HasSubstr("applying patch 'attach-patch' to loading "
						     "library 'libattach-ctor.so'"));
	EXPECT_EQ(svc->ask("answer"), "answer 2");
}

TEST_F(Attach, ALibraryDlmopenedLaterIsPatchedBeforeItsConstructors)
{
	ASSERT_EQ(run_graft({"load", "--attach", pid(), patch_file()}).status, 0);
	EXPECT_EQ(svc->ask("ctor-dlmopen"), "ctor 300 now 300") << graft_log(svc->pid());
}

// The per-thread consistency model holds as in a preloaded process: a thread spinning
// inside service_busy holds the transition until it leaves.
TEST_F(Attach, ABusyThreadInAPatchedFunctionHoldsTheTransition)
{
	EXPECT_EQ(svc->ask("hold"), "holding");
	CmdResult r = run_graft({"attach", pid()});
	ASSERT_EQ(r.status, 0) << r.err;
	r = run_graft({"load", pid(), patch_file(), "--no-wait"});
	ASSERT_EQ(r.status, 0) << r.err;
	TransitionStatus s;
	ASSERT_TRUE(wait_status(
		svc->pid(),
		[](const TransitionStatus &t) { return t.active && !t.holding.empty(); }, 30, &s))
		<< s.raw << s.err;
	EXPECT_EQ(s.holding.size(), 1u) << s.raw;
	EXPECT_EQ(svc->ask("release"), "released");
	EXPECT_TRUE(wait_no_transition(svc->pid(), 60, &s)) << s.raw;
	EXPECT_EQ(svc->ask("answer"), "answer 2");
	EXPECT_EQ(svc->ask("errors"), "eintr 0 short 0");
}

TEST_F(Attach, LoadWithoutTheRuntimeNamesAttachAndAttachFlagDoesIt)
{
	CmdResult r = run_graft({"load", pid(), patch_file()});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("graft attach " + pid()));
	EXPECT_EQ(svc->ask("answer"), "answer 1");
	r = run_graft({"load", "--attach", pid(), patch_file()});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_THAT(r.out, HasSubstr("attached to process " + pid()));
	EXPECT_EQ(svc->ask("answer"), "answer 2");
}

TEST_F(Attach, PsAllShowsWhichProcessesHaveTheRuntime)
{
	auto row = [&] {
		CmdResult r = run_graft({"ps", "--all", "--json"});
		nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
		for (const auto &p : j.value("processes", nlohmann::json::array()))
			if (p.value("pid", 0) == svc->pid())
				return p;
		return nlohmann::json();
	};
	nlohmann::json before = row();
	ASSERT_TRUE(before.is_object());
	EXPECT_FALSE(before["runtime"].get<bool>());
	ASSERT_EQ(run_graft({"attach", pid()}).status, 0);
	nlohmann::json after = row();
	ASSERT_TRUE(after.is_object());
	EXPECT_TRUE(after["runtime"].get<bool>());
	EXPECT_EQ(after.value("patches", -1), 0);
}

// A C++ service: exceptions thrown and caught in a loop throughout, a virtual function
// patched.
TEST(AttachCpp, ACppServiceIsAttachedAndPatched)
{
	RuntimeDir dir;
	Target t(Target::Direct{}, att_dir() + "/cpp-service");
	ASSERT_EQ(t.read_line(), "ready");
	EXPECT_EQ(t.ask("answer"), "answer 1");
	std::string pid = std::to_string(t.pid());
	CmdResult r =
		run_graft({"load", "--attach", pid, att_dir() + "/patches/attach-patch-cpp.so"});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t.ask("answer"), "answer 2");
	EXPECT_EQ(t.ask("exceptions"), "exceptions ok");
	std::string who;
	EXPECT_TRUE(untraced(t.pid(), &who)) << who;
}

// The borrowed thread itself is in nanosleep (the kernel's restart block): the sleep
// restarts with its remaining time, no EINTR, none shorter than asked. 10 attaches.
TEST(AttachSleeper, TheBorrowedThreadsNanosleepKeepsItsTime)
{
	RuntimeDir dir;
	for (int i = 0; i < 10; i++) {
		Target t(Target::Direct{}, att_dir() + "/sleeper-target");
		ASSERT_EQ(t.read_line(), "ready");
		// Two sleeps done: the main thread is in its loop, nearly always asleep.
		ASSERT_EQ(t.ask("errors"), "eintr 0 short 0");
		CmdResult r;
		nlohmann::json j = attach_json(t.pid(), &r);
		ASSERT_TRUE(j.is_object()) << r.out << r.err;
		EXPECT_EQ(j["hijacked_tid"].get<int>(), t.pid());
		EXPECT_EQ(j["hijacked_syscall"].get<int>(), 230) << "clock_nanosleep";
		EXPECT_EQ(t.ask("errors"), "eintr 0 short 0") << "attach " << i;
	}
}

// Each attach borrows the spinner (the only thread it may), whose xmm0-15 and MXCSR
// must come back exactly. A fresh process each time: the runtime is loaded once. 40 in
// the suite; GRAFT_TEST_ATTACH_ROUNDS=1000 by hand (docs/performance.md records it).
TEST(AttachVectors, TheBorrowedThreadsVectorStateIsRestored)
{
	RuntimeDir dir;
	const char *rounds = getenv("GRAFT_TEST_ATTACH_ROUNDS");
	const int kProcesses = rounds ? atoi(rounds) : 40;
	for (int i = 0; i < kProcesses; i++) {
		Target t(Target::Direct{}, att_dir() + "/vector-spinner");
		std::string first = t.read_line();
		ASSERT_THAT(first, HasSubstr("spinner "));
		int spinner = std::stoi(first.substr(8));
		CmdResult r;
		nlohmann::json j = attach_json(t.pid(), &r);
		ASSERT_TRUE(j.is_object()) << r.out << r.err;
		EXPECT_EQ(j["hijacked_tid"].get<int>(), spinner)
			<< "the spinner must be the one borrowed";
		ASSERT_EQ(t.ask("check"), "changed 0") << "after attach " << i;
		std::string who;
		EXPECT_TRUE(untraced(t.pid(), &who)) << who;
	}
}

} // namespace
