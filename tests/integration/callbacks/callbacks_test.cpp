// SPDX-License-Identifier: MIT
// callbacks_test.cpp - the nine cases of the kernel's callbacks document (and of
// test-callbacks.sh) plus its "multiple livepatches", in user space: "vmlinux" is the
// program (callbacks-target), a module is a library, insmod/rmmod of a target module is
// the target's dlopen/dlclose ("% dlopen LIB" in the log), insmod of a livepatch is
// `graft load`, echo 0 > enabled is `graft disable`.
#include "callbacks_story.hpp"

using namespace graft::test;

namespace {

class Callbacks : public CallbacksStory {
protected:
	// The enable of the demo with pre/post_patch for the objects given, as in the
	// kernel's expected output (objects in array order: program, mod, busy).
	std::vector<std::string> enabling(const std::string &p,
					  const std::vector<std::string> &libs)
	{
		std::vector<std::string> v{"graft: enabling patch '" + p + "'",
					   rt(p, "initializing patching transition"),
					   cb(p, "pre_patch", kExe)};
		for (const auto &l : libs)
			v.push_back(cb(p, "pre_patch", l, "LIVE"));
		v.push_back(rt(p, "starting patching transition"));
		v.push_back(rt(p, "completing patching transition"));
		v.push_back(cb(p, "post_patch", kExe));
		for (const auto &l : libs)
			v.push_back(cb(p, "post_patch", l, "LIVE"));
		v.push_back(rt(p, "patching complete"));
		return v;
	}
	std::vector<std::string> disabling(const std::string &p,
					   const std::vector<std::string> &libs)
	{
		std::vector<std::string> v{rt(p, "initializing unpatching transition"),
					   cb(p, "pre_unpatch", kExe)};
		for (const auto &l : libs)
			v.push_back(cb(p, "pre_unpatch", l, "LIVE"));
		v.push_back(rt(p, "starting unpatching transition"));
		v.push_back(rt(p, "completing unpatching transition"));
		v.push_back(cb(p, "post_unpatch", kExe));
		for (const auto &l : libs)
			v.push_back(cb(p, "post_unpatch", l, "LIVE"));
		v.push_back(rt(p, "unpatching complete"));
		return v;
	}
	// A library loading while the demo is enabled (not in transition).
	std::vector<std::string> coming(const std::string &lib)
	{
		return {"% dlopen " + std::string(lib),
			"graft: applying patch '" + std::string(kDemo) + "' to loading library '" +
				lib + "'",
			cb(kDemo, "pre_patch", lib, "COMING"),
			cb(kDemo, "post_patch", lib, "COMING")};
	}
	std::vector<std::string> going(const std::string &lib)
	{
		return {cb(kDemo, "pre_unpatch", lib, "GOING"),
			"graft: reverting patch '" + std::string(kDemo) +
				"' on unloading library '" + lib + "'",
			cb(kDemo, "post_unpatch", lib, "GOING")};
	}
};

const std::vector<std::string> kModInit = {"libcallbacks_mod: callbacks_mod_init"};
const std::vector<std::string> kModExit = {"% dlclose libcallbacks_mod.so",
					   "libcallbacks_mod: callbacks_mod_exit"};

// Test 1: the target library is loaded before the patch: its callbacks run (LIVE) with
// the program's on enable and on disable.
TEST_F(Callbacks, TargetLibraryBeforeLivepatch)
{
	load_lib(kMod);
	load_lp(kDemo);
	disable_lp(kDemo);
	unload_lp(kDemo);
	unload_lib(kMod);
	check_result(cat({{"% dlopen libcallbacks_mod.so"},
			  kModInit,
			  enabling(kDemo, {kMod}),
			  disabling(kDemo, {kMod}),
			  kModExit}));
}

// Test 2: the library loads after the patch is enabled: pre_patch and post_patch run for
// it as it loads (COMING, before its constructor); disable then covers it too.
TEST_F(Callbacks, LibraryComingNotifier)
{
	load_lp(kDemo);
	load_lib(kMod);
	disable_lp(kDemo);
	unload_lp(kDemo);
	unload_lib(kMod);
	check_result(cat(
		{enabling(kDemo, {}), coming(kMod), kModInit, disabling(kDemo, {kMod}), kModExit}));
}

// Test 3: the library unloads while patched: pre_unpatch and post_unpatch run for it
// (GOING, after its destructor); disable then covers only the program.
TEST_F(Callbacks, LibraryGoingNotifier)
{
	load_lib(kMod);
	load_lp(kDemo);
	unload_lib(kMod);
	disable_lp(kDemo);
	unload_lp(kDemo);
	check_result(cat({{"% dlopen libcallbacks_mod.so"},
			  kModInit,
			  enabling(kDemo, {kMod}),
			  kModExit,
			  going(kMod),
			  disabling(kDemo, {})}));
}

// Test 4: both: the library comes and goes while the patch is enabled.
TEST_F(Callbacks, LibraryComingAndGoingNotifiers)
{
	load_lp(kDemo);
	load_lib(kMod);
	unload_lib(kMod);
	disable_lp(kDemo);
	unload_lp(kDemo);
	check_result(cat({enabling(kDemo, {}), coming(kMod), kModInit, kModExit, going(kMod),
			  disabling(kDemo, {})}));
}

// Test 5: a library the patch names is not loaded: it gets no callback at all.
TEST_F(Callbacks, TargetLibraryNotPresent)
{
	load_lp(kDemo);
	disable_lp(kDemo);
	unload_lp(kDemo);
	check_result(cat({enabling(kDemo, {}), disabling(kDemo, {})}));
}

// Test 6: the program's pre_patch returns -ENODEV: the enable is cancelled before it
// starts, nothing runs for the library, no post_unpatch for the program (its pre_patch
// failed), and `graft load` fails with the errno's text.
TEST_F(Callbacks, PrePatchCallbackEnodev)
{
	load_lib(kMod);
	set("pre_patch_ret", -19);
	load_failing_lp(kDemo, "No such device");
	unload_lib(kMod);
	check_result(cat(
		{{"% dlopen libcallbacks_mod.so"},
		 kModInit,
		 {"% set pre_patch_ret -19"},
		 {"graft: enabling patch 'livepatch-callbacks-demo'",
		  rt(kDemo, "initializing patching transition"), cb(kDemo, "pre_patch", kExe),
		  "graft: pre-patch callback failed for object 'callbacks-target'",
		  "graft: failed to enable patch 'livepatch-callbacks-demo'",
		  rt(kDemo, "canceling patching transition, going to unpatch"),
		  rt(kDemo, "completing unpatching transition"), rt(kDemo, "unpatching complete")},
		 kModExit}));
	CmdResult list = run_graft({"list", pid});
	EXPECT_THAT(list.out, ::testing::Not(::testing::HasSubstr(kDemo)))
		<< "a refused patch is not left loaded";
}

// Test 7: the library's pre_patch returns -ENODEV as it loads: the load is refused
// (dlopen fails, dlerror names the patch and the errno), the patch stays enabled for the
// program, and the library gets no other callback.
TEST_F(Callbacks, LibraryComingAndPrePatchCallbackEnodev)
{
	load_lp(kDemo);
	set("pre_patch_ret", -19);
	std::string err = load_failing_lib(kMod);
	EXPECT_THAT(err, ::testing::HasSubstr("patch 'livepatch-callbacks-demo' refused library "
					      "'libcallbacks_mod.so'"));
	EXPECT_THAT(err, ::testing::HasSubstr("No such device"));
	disable_lp(kDemo);
	unload_lp(kDemo);
	check_result(
		cat({enabling(kDemo, {}),
		     {"% set pre_patch_ret -19", "% dlopen libcallbacks_mod.so",
		      "graft: applying patch 'livepatch-callbacks-demo' to loading library "
		      "'libcallbacks_mod.so'",
		      cb(kDemo, "pre_patch", kMod, "COMING"),
		      "graft: pre-patch callback failed for object 'libcallbacks_mod.so'",
		      "graft: patch 'livepatch-callbacks-demo' failed for library "
		      "'libcallbacks_mod.so', "
		      "refusing to load library 'libcallbacks_mod.so'"},
		     // glibc has no way to fail a load once the audit event came: the refused
		     // library's constructor and destructor run (docs/architecture.md).
		     {"libcallbacks_mod: callbacks_mod_init",
		      "libcallbacks_mod: callbacks_mod_exit", "dlopen: ERROR: " + err.substr(7)},
		     disabling(kDemo, {})}));
}

// Test 8: two target libraries, the busy one's worker already gone: the transition
// completes at once; the other library comes and goes while patched.
TEST_F(Callbacks, MultipleTargetLibraries)
{
	load_lib(kBusy);
	load_lp(kDemo);
	load_lib(kMod);
	unload_lib(kMod);
	disable_lp(kDemo);
	unload_lp(kDemo);
	unload_lib(kBusy);
	check_result(cat(
		{{"% dlopen libcallbacks_busy.so", "libcallbacks_busy: callbacks_busy_init",
		  "libcallbacks_busy: busymod_work_func enter",
		  "libcallbacks_busy: busymod_work_func exit"},
		 enabling(kDemo, {kBusy}),
		 coming(kMod),
		 kModInit,
		 kModExit,
		 going(kMod),
		 disabling(kDemo, {kBusy}),
		 {"% dlclose libcallbacks_busy.so", "libcallbacks_busy: callbacks_busy_exit"}}));
}

// Test 9: the busy worker sits in busymod_work_func, so the patching transition stalls.
// A library loading meanwhile gets pre_patch but no post_patch; unloading it runs no
// pre_unpatch but post_unpatch; disabling reverses the transition (no pre_unpatch), which
// completes at once because the worker runs the original function.
TEST_F(Callbacks, BusyTargetLibrary)
{
	load_lib(kBusy, true);
	load_lp_nowait(kDemo);
	TransitionStatus s;
	ASSERT_TRUE(wait_status(
		target->pid(),
		[](const TransitionStatus &t) { return t.active && !t.holding.empty(); }, 60, &s))
		<< "failed to stall transition: " << s.raw << s.err;
	load_lib(kMod);
	unload_lib(kMod);
	disable_lp(kDemo);
	unload_lp(kDemo);
	unload_lib(kBusy);
	const std::string p = kDemo;
	check_result(cat(
		{{"% dlopen libcallbacks_busy.so block", "libcallbacks_busy: callbacks_busy_init",
		  "libcallbacks_busy: busymod_work_func enter", "graft: enabling patch '" + p + "'",
		  rt(p, "initializing patching transition"), cb(p, "pre_patch", kExe),
		  cb(p, "pre_patch", kBusy, "LIVE"), rt(p, "starting patching transition"),
		  "% dlopen libcallbacks_mod.so",
		  "graft: applying patch '" + p + "' to loading library 'libcallbacks_mod.so'",
		  cb(p, "pre_patch", kMod, "COMING")},
		 kModInit,
		 kModExit,
		 {"graft: reverting patch '" + p + "' on unloading library 'libcallbacks_mod.so'",
		  cb(p, "post_unpatch", kMod, "GOING"),
		  rt(p, "reversing transition from patching to unpatching"),
		  rt(p, "starting unpatching transition"),
		  rt(p, "completing unpatching transition"), cb(p, "post_unpatch", kExe),
		  cb(p, "post_unpatch", kBusy, "LIVE"), rt(p, "unpatching complete"),
		  "% dlclose libcallbacks_busy.so", "libcallbacks_busy: busymod_work_func exit",
		  "libcallbacks_busy: callbacks_busy_exit"}}));
}

// test-callbacks.sh "multiple livepatches": two stacked patches, each with its own
// callbacks through its own transitions.
TEST_F(Callbacks, MultipleLivepatches)
{
	load_lp(kDemo);
	load_lp(kDemo2);
	disable_lp(kDemo2);
	disable_lp(kDemo);
	unload_lp(kDemo2);
	unload_lp(kDemo);
	check_result(cat({enabling(kDemo, {}), enabling(kDemo2, {}), disabling(kDemo2, {}),
			  disabling(kDemo, {})}));
}

} // namespace
