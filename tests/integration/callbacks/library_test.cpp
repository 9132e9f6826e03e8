// SPDX-License-Identifier: MIT
// library_test.cpp - libraries loading and unloading under patches, beyond the kernel's
// selftests: two patches on one loading library (and a veto from the second rolling
// back the first), a library patched before its constructor runs, a patch loaded
// disabled that binds libraries only when enabled, and the fallback without the audit
// module (patched after the constructors, pinned while patched).
#include <fstream>
#include <sstream>

#include "callbacks_story.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class Library : public CallbacksStory {};

std::string applying(const std::string &p, const std::string &lib)
{
	return "graft: applying patch '" + p + "' to loading library '" + lib + "'";
}

std::string reverting(const std::string &p, const std::string &lib)
{
	return "graft: reverting patch '" + p + "' on unloading library '" + lib + "'";
}

// Both patches name libcallbacks_mod.so. The second one's pre_patch refuses it: the
// first one, already applied, is reverted (pre_unpatch, since it is not in transition),
// and the load fails naming the second. Once it accepts, both apply in load order, and
// both revert on unload.
TEST_F(Library, TwoPatchesOnALoadingLibraryAndAVetoFromTheSecond)
{
	load_lp(kDemo);
	load_lp(kDemo2);
	set("pre_patch_ret2", -19);
	std::string err = load_failing_lib(kMod);
	EXPECT_THAT(err, HasSubstr("patch 'livepatch-callbacks-demo2' refused library"));
	set("pre_patch_ret2", 0);
	load_lib(kMod);
	unload_lib(kMod);
	std::vector<std::string> s = story();
	std::vector<std::string> want{
		"% set pre_patch_ret2 -19",
		"% dlopen libcallbacks_mod.so",
		applying(kDemo, kMod),
		cb(kDemo, "pre_patch", kMod, "COMING"),
		cb(kDemo, "post_patch", kMod, "COMING"),
		applying(kDemo2, kMod),
		cb(kDemo2, "pre_patch", kMod, "COMING"),
		"graft: pre-patch callback failed for object 'libcallbacks_mod.so'",
		"graft: patch 'livepatch-callbacks-demo2' failed for library "
		"'libcallbacks_mod.so', "
		"refusing to load library 'libcallbacks_mod.so'",
		cb(kDemo, "pre_unpatch", kMod, "COMING"),
		reverting(kDemo, kMod),
		cb(kDemo, "post_unpatch", kMod, "COMING"),
		"libcallbacks_mod: callbacks_mod_init",
		"libcallbacks_mod: callbacks_mod_exit",
		"dlopen: ERROR: " + err.substr(7),
		"% set pre_patch_ret2 0",
		"% dlopen libcallbacks_mod.so",
		applying(kDemo, kMod),
		cb(kDemo, "pre_patch", kMod, "COMING"),
		cb(kDemo, "post_patch", kMod, "COMING"),
		applying(kDemo2, kMod),
		cb(kDemo2, "pre_patch", kMod, "COMING"),
		cb(kDemo2, "post_patch", kMod, "COMING"),
		"libcallbacks_mod: callbacks_mod_init",
		"% dlclose libcallbacks_mod.so",
		"libcallbacks_mod: callbacks_mod_exit",
		cb(kDemo, "pre_unpatch", kMod, "GOING"),
		reverting(kDemo, kMod),
		cb(kDemo, "post_unpatch", kMod, "GOING"),
		cb(kDemo2, "pre_unpatch", kMod, "GOING"),
		reverting(kDemo2, kMod),
		cb(kDemo2, "post_unpatch", kMod, "GOING")};
	ASSERT_GE(s.size(), want.size());
	EXPECT_THAT(std::vector<std::string>(s.end() - want.size(), s.end()),
		    ::testing::ElementsAreArray(want));
}

// The busy library's constructor starts a worker that calls busymod_work_func: with the
// demo enabled first, the worker runs the replacement, so the library was patched
// before its constructor ran.
TEST_F(Library, ALoadingLibraryIsPatchedBeforeItsConstructorRuns)
{
	load_lp(kDemo);
	load_lib(kBusy);
	unload_lib(kBusy);
	std::vector<std::string> s = story();
	std::vector<std::string> want{"% dlopen libcallbacks_busy.so",
				      applying(kDemo, kBusy),
				      cb(kDemo, "pre_patch", kBusy, "COMING"),
				      cb(kDemo, "post_patch", kBusy, "COMING"),
				      "libcallbacks_busy: callbacks_busy_init",
				      "livepatch-callbacks-demo: patched_work_func",
				      "% dlclose libcallbacks_busy.so",
				      "libcallbacks_busy: callbacks_busy_exit",
				      cb(kDemo, "pre_unpatch", kBusy, "GOING"),
				      reverting(kDemo, kBusy),
				      cb(kDemo, "post_unpatch", kBusy, "GOING")};
	ASSERT_GE(s.size(), want.size());
	EXPECT_THAT(std::vector<std::string>(s.end() - want.size(), s.end()),
		    ::testing::ElementsAreArray(want));
}

// A patch loaded with --no-enable applies to nothing: a library that comes and goes
// meanwhile gets no callback, and enabling binds the library loaded at that time.
TEST_F(Library, ADisabledPatchBindsLibrariesWhenEnabled)
{
	CmdResult r = run_graft({"load", pid, sample(kDemo), "--no-enable"});
	ASSERT_EQ(r.status, 0) << r.err;
	load_lib(kMod);
	unload_lib(kMod);
	load_lib(kMod);
	r = run_graft({"enable", pid, kDemo});
	ASSERT_EQ(r.status, 0) << r.err;
	unload_lib(kMod);
	std::vector<std::string> s = story();
	std::vector<std::string> want{"% dlopen libcallbacks_mod.so",
				      "libcallbacks_mod: callbacks_mod_init",
				      "% dlclose libcallbacks_mod.so",
				      "libcallbacks_mod: callbacks_mod_exit",
				      "% dlopen libcallbacks_mod.so",
				      "libcallbacks_mod: callbacks_mod_init",
				      "graft: enabling patch 'livepatch-callbacks-demo'",
				      rt(kDemo, "initializing patching transition"),
				      cb(kDemo, "pre_patch", kExe),
				      cb(kDemo, "pre_patch", kMod, "LIVE"),
				      rt(kDemo, "starting patching transition"),
				      rt(kDemo, "completing patching transition"),
				      cb(kDemo, "post_patch", kExe),
				      cb(kDemo, "post_patch", kMod, "LIVE"),
				      rt(kDemo, "patching complete"),
				      "% dlclose libcallbacks_mod.so",
				      "libcallbacks_mod: callbacks_mod_exit",
				      cb(kDemo, "pre_unpatch", kMod, "GOING"),
				      reverting(kDemo, kMod),
				      cb(kDemo, "post_unpatch", kMod, "GOING")};
	EXPECT_THAT(s, ::testing::ElementsAreArray(want));
}

bool mapped(pid_t pid, const std::string &file)
{
	std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
	std::stringstream text;
	text << maps.rdbuf();
	return text.str().find("/" + file + "\n") != std::string::npos;
}

// Without the audit module (GRAFT_NO_AUDIT=1 for graft run, or a plain LD_PRELOAD), the
// interposed dlopen patches a library when the real dlopen returns, after its
// constructor, and pins it: a dlclose cannot unmap patched code it could not see coming.
class LibraryWithoutAudit : public CallbacksStory {
protected:
	void SetUp() override
	{
		ScopedEnv no_audit("GRAFT_NO_AUDIT", "1");
		CallbacksStory::SetUp();
	}
};

TEST_F(LibraryWithoutAudit, PatchesAfterTheConstructorAndPinsTheLibrary)
{
	load_lp(kDemo);
	load_lib(kMod);
	unload_lib(kMod);
	EXPECT_TRUE(mapped(target->pid(), kMod)) << "a patched library must stay mapped";
	std::vector<std::string> s = story();
	std::vector<std::string> want{
		"% dlopen libcallbacks_mod.so",
		"libcallbacks_mod: callbacks_mod_init",
		applying(kDemo, kMod),
		cb(kDemo, "pre_patch", kMod, "COMING"),
		cb(kDemo, "post_patch", kMod, "COMING"),
		"graft: library '" + out_dir() +
			"/samples/libcallbacks_mod.so' stays mapped while "
			"patched (start the program with 'graft run' to have unloads reverted)",
		"% dlclose libcallbacks_mod.so"};
	ASSERT_GE(s.size(), want.size());
	EXPECT_THAT(std::vector<std::string>(s.end() - want.size(), s.end()),
		    ::testing::ElementsAreArray(want));
}

} // namespace
