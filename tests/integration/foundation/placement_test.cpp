// SPDX-License-Identifier: MIT
// placement_test.cpp - module placement for direct mode (issue 17): a patch module that
// patches only the executable (PIE, built -O2 by the compiler, not graft-cc) is loaded
// within 2 GiB of it, so the patched function's entry jumps straight to the replacement
// (one jump); the heap can still grow by brk; disable and unload work; a module that
// patches a library still lands near the library; where the module cannot be placed (an
// unlimited stack: the kernel's bottom-up layout) it is loaded as before, and works.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <thread>

#include "process.hpp"

using namespace graft::test;

namespace {

constexpr uintptr_t kReach = uintptr_t(1) << 31; // rel32

struct Span {
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	bool found() const { return hi > lo; }
};

// The lowest start and highest end of pid's mappings of a file whose path ends in name.
Span mapped_span(pid_t pid, const std::string &name)
{
	Span s;
	std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
	for (std::string line; std::getline(maps, line);) {
		if (line.size() < name.size() ||
		    line.compare(line.size() - name.size(), name.size(), name) != 0)
			continue;
		uintptr_t lo = std::stoul(line.substr(0, line.find('-')), nullptr, 16);
		uintptr_t hi = std::stoul(line.substr(line.find('-') + 1), nullptr, 16);
		s.lo = std::min(s.lo, lo);
		s.hi = std::max(s.hi, hi);
	}
	return s;
}

// Whether every byte of a is within rel32 reach of every byte of b.
bool within_reach(const Span &a, const Span &b)
{
	uintptr_t far = std::max(a.hi > b.lo ? a.hi - b.lo : b.lo - a.hi,
				 b.hi > a.lo ? b.hi - a.lo : a.lo - b.hi);
	return far < kReach;
}

// "entry e9 0x5616ba89b100": where itest_answer's entry jumps (0 when it is no jmp).
uintptr_t entry_dest(Target &t)
{
	std::istringstream in(t.ask("entry"));
	std::string word, byte, dest;
	in >> word >> byte >> dest;
	return byte == "e9" ? std::stoul(dest, nullptr, 16) : 0;
}

// Asks until the entry jumps into span (in == true) or out of it, within a deadline.
bool wait_entry(Target &t, const Span &span, bool in)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	for (;;) {
		uintptr_t d = entry_dest(t);
		if ((d >= span.lo && d < span.hi) == in)
			return true;
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10)); // poll interval
	}
}

class Placement : public ::testing::Test {
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
		if (target) {
			EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
		}
	}
	void ok(const CmdResult &r) { ASSERT_EQ(r.status, 0) << r.err; }
	CmdResult load(const std::string &name)
	{
		return run_graft({"load", pid, out_dir() + "/itest/patches/" + name + ".so"});
	}

	RuntimeDir rundir;
	std::unique_ptr<Target> target;
	std::string pid;
};

TEST_F(Placement, ExecutablePatchIsLoadedNearItAndItsEntryJumpsStraightToTheReplacement)
{
	Span exe = mapped_span(target->pid(), "/itest/itest-target");
	ASSERT_TRUE(exe.found());
	ok(load("itest-answer"));
	EXPECT_EQ(target->ask("answer"), "answer 2");
	Span mod = mapped_span(target->pid(), "/itest-answer.so");
	ASSERT_TRUE(mod.found());
	EXPECT_TRUE(within_reach(mod, exe)) << std::hex << "module at " << mod.lo << "-" << mod.hi
					    << ", executable at " << exe.lo << "-" << exe.hi;
	// Direct mode: the entry's rel32 jmp leads into the module, not to a stub.
	EXPECT_TRUE(wait_entry(*target, mod, true))
		<< "entry leads to " << std::hex << entry_dest(*target);
	EXPECT_EQ(target->ask("answer"), "answer 2");
	// The module sits at the top of the window: brk still has hundreds of MiB to grow.
	EXPECT_EQ(target->ask("brk 512"), "brk ok");

	ok(run_graft({"disable", pid, "itest-answer"}));
	EXPECT_EQ(target->ask("answer"), "answer 1");
	EXPECT_TRUE(wait_entry(*target, mod, false));
	ok(run_graft({"unload", pid, "itest-answer"}));
	EXPECT_FALSE(mapped_span(target->pid(), "/itest-answer.so").found());
	EXPECT_EQ(target->ask("answer"), "answer 1");
	// Loaded again, it is placed the same way.
	ok(load("itest-answer"));
	EXPECT_EQ(target->ask("answer"), "answer 2");
	EXPECT_TRUE(within_reach(mapped_span(target->pid(), "/itest-answer.so"), exe));
}

TEST_F(Placement, LibraryPatchStaysNearTheLibrary)
{
	ok(load("itest-libpatch"));
	EXPECT_EQ(target->ask("lib"), "lib 200");
	Span lib = mapped_span(target->pid(), "/libitest.so");
	Span mod = mapped_span(target->pid(), "/itest-libpatch.so");
	ASSERT_TRUE(lib.found() && mod.found());
	EXPECT_TRUE(within_reach(mod, lib))
		<< std::hex << "module at " << mod.lo << ", library at " << lib.lo;
	EXPECT_FALSE(within_reach(mod, mapped_span(target->pid(), "/itest/itest-target")))
		<< "a library's patch is not placed near the executable";
}

// With an unlimited stack the kernel lays mappings out bottom-up, which no reservation
// above the executable steers: the runtime says so in the log and loads the module where
// dlopen puts it; the patch works as before (two jumps).
TEST(PlacementFallback, AnUnlimitedStackLoadsTheModuleAsBefore)
{
	RuntimeDir rundir;
	Target t(Target::Direct{}, "/usr/bin/prlimit",
		 {"--stack=unlimited", out_dir() + "/bin/graft", "run", "--",
		  out_dir() + "/itest/itest-target"});
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid());
	CmdResult r = run_graft({"load", pid, out_dir() + "/itest/patches/itest-answer.so"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(t.ask("answer"), "answer 2");
	Span exe = mapped_span(t.pid(), "/itest/itest-target");
	Span mod = mapped_span(t.pid(), "/itest-answer.so");
	ASSERT_TRUE(exe.found() && mod.found());
	EXPECT_FALSE(within_reach(mod, exe)) << std::hex << "module at " << mod.lo;
	CmdResult log = run_graft({"log", pid, "--no-time"});
	EXPECT_NE(log.out.find("patch module not placed near the executable (no direct mode "
			       "for its functions): the stack size is unlimited"),
		  std::string::npos)
		<< log.out;
	ASSERT_EQ(run_graft({"disable", pid, "itest-answer"}).status, 0);
	EXPECT_EQ(t.ask("answer"), "answer 1");
	EXPECT_EQ(t.finish(), 0);
}

} // namespace
