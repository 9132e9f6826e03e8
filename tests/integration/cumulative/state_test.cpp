// SPDX-License-Identifier: MIT
// state_test.cpp - system states: the kernel's test-state.sh (four cases) with
// livepatch-state{,2,3}.so changing callbacks-target's console_loglevel, plus the
// reversal the selftests never reach (the state handed back to the old patch).
#include "callbacks_story.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class State : public CallbacksStory {
protected:
	std::string loglevel()
	{
		std::string line = target->ask("grep");
		return line.substr(line.rfind("loglevel: ") + 10);
	}
};

std::string say(const std::string &p, const std::string &what)
{
	return p + ": " + what;
}

// A state patch's enable when it makes the change itself.
std::vector<std::string> fixing(const std::string &p)
{
	return {"graft: enabling patch '" + p + "'",
		rt(p, "initializing patching transition"),
		say(p, "pre_patch_callback: callbacks-target"),
		say(p, "allocate_loglevel_state: allocating space to store console_loglevel"),
		rt(p, "starting patching transition"),
		rt(p, "completing patching transition"),
		say(p, "post_patch_callback: callbacks-target"),
		say(p, "fix_console_loglevel: fixing console_loglevel"),
		rt(p, "patching complete")};
}

// ... when it takes the change over from the patch it replaces.
std::vector<std::string> taking_over(const std::string &p)
{
	return {"graft: enabling patch '" + p + "'",
		rt(p, "initializing patching transition"),
		say(p, "pre_patch_callback: callbacks-target"),
		say(p,
		    "allocate_loglevel_state: space to store console_loglevel already allocated"),
		rt(p, "starting patching transition"),
		rt(p, "completing patching transition"),
		say(p, "post_patch_callback: callbacks-target"),
		say(p, "fix_console_loglevel: taking over the console_loglevel change"),
		rt(p, "patching complete")};
}

std::vector<std::string> restoring(const std::string &p)
{
	return {rt(p, "initializing unpatching transition"),
		say(p, "pre_unpatch_callback: callbacks-target"),
		say(p, "restore_console_loglevel: restoring console_loglevel"),
		rt(p, "starting unpatching transition"),
		rt(p, "completing unpatching transition"),
		say(p, "post_unpatch_callback: callbacks-target"),
		say(p, "free_loglevel_state: freeing space for the stored console_loglevel"),
		rt(p, "unpatching complete")};
}

const std::string kLp = "livepatch-state", kLp2 = "livepatch-state2", kLp3 = "livepatch-state3";

// "system state modification"
TEST_F(State, SystemStateModification)
{
	load_lp(kLp);
	EXPECT_EQ(loglevel(), "15");
	disable_lp(kLp);
	EXPECT_EQ(loglevel(), "4");
	unload_lp(kLp);
	check_result(cat({fixing(kLp), restoring(kLp)}));
}

// "taking over system state modification"
TEST_F(State, TakingOverSystemStateModification)
{
	load_lp(kLp);
	load_lp(kLp2);
	EXPECT_EQ(loglevel(), "15");
	unload_lp(kLp);
	disable_lp(kLp2);
	EXPECT_EQ(loglevel(), "4") << "the taken-over data restores the original value";
	unload_lp(kLp2);
	check_result(cat({fixing(kLp), taking_over(kLp2), restoring(kLp2)}));
}

// "compatible cumulative livepatches"
TEST_F(State, CompatibleCumulativeLivepatches)
{
	load_lp(kLp2);
	load_lp(kLp3);
	unload_lp(kLp2);
	load_lp(kLp2);
	disable_lp(kLp2);
	unload_lp(kLp2);
	unload_lp(kLp3);
	check_result(cat({fixing(kLp2), taking_over(kLp3), taking_over(kLp2), restoring(kLp2)}));
}

// "incompatible cumulative livepatches": version 1 after version 2 is refused before
// anything runs, with the kernel's message; the load fails with exit 1.
TEST_F(State, IncompatibleCumulativeLivepatches)
{
	load_lp(kLp2);
	CmdResult r = run_graft({"load", pid, sample(kLp)});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_THAT(r.err, HasSubstr("installed state 1 at version 2, which 'livepatch-state' "
				     "has at the lower version 1"));
	disable_lp(kLp2);
	unload_lp(kLp2);
	check_result(cat({fixing(kLp2),
			  {"graft: Livepatch patch (livepatch-state) is not compatible with the "
			   "already installed livepatches."},
			  restoring(kLp2)}));
}

// Not in the selftests: a version 2 patch taking over from version 1 is disabled while
// its transition is stalled (a thread parked in busymod_work_func, which it replaces):
// the reversal runs no pre_unpatch, and its post_unpatch hands the change back to the
// patch it was replacing, which stays enabled with the change in place.
TEST_F(State, AReversedTakeOverHandsTheStateBack)
{
	const std::string busy2 = "livepatch-state2-busy";
	load_lib(kBusy, true);
	load_lp(kLp);
	load_lp_nowait(busy2);
	ASSERT_TRUE(wait_status(
		target->pid(),
		[](const TransitionStatus &t) { return t.active && !t.holding.empty(); }, 60));
	disable_lp(busy2);
	EXPECT_EQ(loglevel(), "15");
	CmdResult r = run_graft({"list", pid});
	EXPECT_THAT(r.out, HasSubstr(kLp + "  (enabled, replace, stack order 1)")) << r.out;
	unload_lp(busy2);
	disable_lp(kLp);
	EXPECT_EQ(loglevel(), "4");
	unload_lp(kLp);
	unload_lib(kBusy);
	std::vector<std::string> s = story();
	std::vector<std::string> want = cat(
		{{"% dlopen libcallbacks_busy.so block", "libcallbacks_busy: callbacks_busy_init",
		  "libcallbacks_busy: busymod_work_func enter"},
		 fixing(kLp),
		 {"graft: enabling patch '" + busy2 + "'",
		  rt(busy2, "initializing patching transition"),
		  say(busy2, "pre_patch_callback: callbacks-target"),
		  say(busy2,
		      "allocate_loglevel_state: space to store console_loglevel already allocated"),
		  rt(busy2, "starting patching transition"),
		  rt(busy2, "reversing transition from patching to unpatching"),
		  rt(busy2, "starting unpatching transition"),
		  rt(busy2, "completing unpatching transition"),
		  say(busy2, "post_unpatch_callback: callbacks-target"),
		  say(busy2,
		      "free_loglevel_state: passing the console_loglevel change back to the old "
		      "livepatch"),
		  rt(busy2, "unpatching complete")},
		 restoring(kLp),
		 {"% dlclose libcallbacks_busy.so", "libcallbacks_busy: busymod_work_func exit",
		  "libcallbacks_busy: callbacks_busy_exit"}});
	EXPECT_THAT(s, ::testing::ElementsAreArray(want));
}

// ABI version 1 modules still load: their graft_patch has no states, which the runtime
// never reads (the fixture poisons the word after it). A replace patch with a state
// replaces it, and graft_get_prev_state walks past it.
TEST_F(State, AVersion1ModuleLoadsAndIsReplaced)
{
	CmdResult r = run_graft({"load", pid, out_dir() + "/itest-cumulative/itest-abi1.so"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_THAT(target->ask("grep"),
		    HasSubstr("cmdline: itest-abi1: this has been live patched"));
	load_lp(kLp2);
	EXPECT_THAT(target->ask("grep"), HasSubstr("cmdline: original cmdline"));
	EXPECT_EQ(loglevel(), "15");
	disable_lp(kLp2);
	EXPECT_EQ(loglevel(), "4");
	EXPECT_TRUE(target->alive());
}

} // namespace
