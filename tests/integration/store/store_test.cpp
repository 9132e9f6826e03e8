// SPDX-License-Identifier: MIT
// store_test.cpp - build-ids in patch modules and the patch store: a patch for another
// build is refused (build-id read from memory), `graft install` patches running
// processes and new ones before main, a library dlopen'ed later before its
// constructors, cumulative patches by replace in file order, bad entries skipped,
// upgrades on disk, gc, uninstall, disable --all and the kill switch.
#include "store_fixture.hpp"

#include <fstream>
#include <memory>

using namespace graft::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class Store : public StoreWorld {};

std::string pid_str(const Target &t)
{
	return std::to_string(t.pid());
}

// The patch module for build X, loaded into a process that maps the rebuild (Y): the
// runtime refuses it, naming both build-ids and the file, and nothing changes.
TEST_F(Store, APatchForAnotherBuildIsRefusedWithBothBuildIds)
{
	use_lib("y");
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old (rebuilt)");
	ASSERT_TRUE(p.wait_ready());
	CmdResult r = graft({"load", pid_str(p), module("10-fix")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_THAT(r.err, HasSubstr("is for build-id " STORE_ID_X " of 'libstoretgt.so.1'"));
	EXPECT_THAT(r.err, HasSubstr("'" + lib_path() + "' is loaded with build-id " STORE_ID_Y));
	EXPECT_EQ(p.ask("call"), "call: old (rebuilt)");
}

TEST_F(Store, APatchForTheLoadedBuildLoads)
{
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old");
	ASSERT_TRUE(p.wait_ready());
	CmdResult r = graft({"load", pid_str(p), module("10-fix")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(p.ask("call"), "call: fixed");
}

// The file on disk is replaced by the rebuild (Y) after the process mapped X: the runtime
// reads the build-id from the mapped object, so the patch for X still loads.
TEST_F(Store, TheBuildIdIsReadFromMemoryNotFromTheReplacedFile)
{
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old");
	ASSERT_TRUE(p.wait_ready());
	use_lib("y");
	CmdResult r = graft({"load", pid_str(p), module("10-fix")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(p.ask("call"), "call: fixed");
}

TEST_F(Store, InstallRefusesAModuleWithoutBuildIds)
{
	CmdResult r = graft({"install", module("nobuildid")});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("names no build-id"));
	EXPECT_FALSE(fs::exists(store() + "/modules/nobuildid.so"));
}

// install = store + apply to every running process that maps build X: the one with the
// runtime is patched, the one without is reported (exit 4); a process started later is
// patched before main, from the store, with no command.
TEST_F(Store, InstallCoversRunningProcessesAndNewOnesBeforeMain)
{
	Target p1(prog());
	Target bare(Target::Direct{}, prog());
	ASSERT_EQ(p1.read_line(), "main: old");
	ASSERT_EQ(bare.read_line(), "main: old");
	ASSERT_TRUE(p1.wait_ready());
	CmdResult r = graft({"install", module("10-fix"), "--exe", prog()});
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(p1) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(bare) + " store_prog       without runtime"));
	EXPECT_THAT(r.out, HasSubstr("1 covered (1 now, 0 already), 0 not applicable, 0 failed, "
				     "1 without runtime"));
	EXPECT_EQ(p1.ask("call"), "call: fixed");
	EXPECT_EQ(bare.ask("call"), "call: old");

	Target p6(prog());
	EXPECT_EQ(p6.read_line(), "main: fixed");
	ASSERT_TRUE(p6.wait_ready());
	CmdResult log = graft({"log", pid_str(p6), "--no-time"});
	EXPECT_THAT(log.out, HasSubstr("graft: patch '10-fix.so' enabled from the store"));

	// Applying again: already there; the exit code still reports the bare process.
	r = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(p1) + " store_prog       already: 10-fix"));
}

// late-fix is filed for libstorelate.so: a process that dlopens it after start gets the
// patch before the library's constructor runs (the constructor prints the fixed text).
TEST_F(Store, ALibraryDlopenedLaterIsPatchedBeforeItsConstructors)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("late-fix")}).status, 0);
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old");
	EXPECT_EQ(p.ask("dlopen " + late_lib()), "ctor: late fixed");
	EXPECT_EQ(p.read_line(), "dlopen ok");
	ASSERT_TRUE(p.wait_ready());
	CmdResult log = graft({"log", pid_str(p), "--no-time"});
	EXPECT_THAT(log.out, HasSubstr("graft: enabling patch 'late-fix' from the store for "
				       "loading library 'libstorelate.so'"));
}

// Two modules for one build: they load in file order, and the cumulative one (20-...)
// replaces the first.
TEST_F(Store, CumulativePatchesLoadInFileOrderAndReplace)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("20-fix-cumulative")}).status, 0);
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	Target p(prog());
	EXPECT_EQ(p.read_line(), "main: fixed twice");
	ASSERT_TRUE(p.wait_ready());
	CmdResult list = graft({"list", pid_str(p)});
	EXPECT_THAT(list.out, HasSubstr("10-fix  (replaced"));
	EXPECT_THAT(list.out, HasSubstr("20-fix-cumulative  (enabled, replace"));
}

// A module others may write is skipped with a log line; a corrupt index is ignored.
// Neither stops the process.
TEST_F(Store, BadStoreEntriesAreLoggedAndSkipped)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	fs::permissions(store() + "/modules/10-fix.so", fs::perms::others_write,
			fs::perm_options::add);
	{
		Target p(prog());
		EXPECT_EQ(p.read_line(), "main: old");
		ASSERT_TRUE(p.wait_ready());
		CmdResult log = graft({"log", pid_str(p), "--no-time"});
		EXPECT_THAT(log.out,
			    HasSubstr("graft: store patch '10-fix' not enabled: refused "
				      "(policy): patch file '" +
				      store() + "/modules/10-fix.so' is writable by others"));
	}
	std::ofstream(store() + "/index", std::ios::trunc) << std::string(100, 'x');
	Target p(prog());
	EXPECT_EQ(p.read_line(), "main: old");
	ASSERT_TRUE(p.wait_ready());
	CmdResult log = graft({"log", pid_str(p), "--no-time"});
	EXPECT_THAT(log.out, HasSubstr("is not a graft store index"));
}

// The library replaced on disk by a rebuild: the old process stays patched and is
// reported as mapping a deleted file; a new one maps the rebuild, gets no patch and is
// "not applicable" with the reason. gc keeps the entry while the old process lives and
// drops it after.
TEST_F(Store, UpgradeOnDiskThenGc)
{
	Target old(prog());
	ASSERT_EQ(old.read_line(), "main: old");
	ASSERT_TRUE(old.wait_ready());
	ASSERT_EQ(graft({"install", module("10-fix"), "--exe", prog()}).status, 0);
	use_lib("y");
	Target fresh(prog());
	EXPECT_EQ(fresh.read_line(), "main: old (rebuilt)");
	ASSERT_TRUE(fresh.wait_ready());
	EXPECT_EQ(old.ask("call"), "call: fixed");

	auto st = status_all();
	ASSERT_TRUE(st.count(old.pid()) && st.count(fresh.pid()));
	json o = st[old.pid()], f = st[fresh.pid()];
	EXPECT_EQ(o["verdict"], "patched");
	ASSERT_FALSE(o["objects"].empty());
	EXPECT_EQ(o["objects"][0]["build_id"], STORE_ID_X);
	EXPECT_EQ(o["objects"][0]["deleted"], true);
	EXPECT_EQ(f["verdict"], "not applicable");
	EXPECT_EQ(f["objects"][0]["deleted"], false);
	EXPECT_THAT(f["notes"].dump(), HasSubstr("is build-id " STORE_ID_Y "; no patch for it"));
	// apply --all says the same for the new process, and counts it as no failure.
	CmdResult again = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(again.status, 0) << again.out << again.err;
	EXPECT_THAT(again.out,
		    HasSubstr(pid_str(fresh) + " store_prog       not applicable: '" + lib_path() +
			      "' is build-id " STORE_ID_Y
			      "; no patch for it (the patch is for " STORE_ID_X ")"));
	EXPECT_THAT(again.out, HasSubstr(pid_str(old) + " store_prog       already: 10-fix"));

	CmdResult gc = graft({"gc"});
	EXPECT_EQ(gc.status, 0);
	EXPECT_THAT(gc.out, HasSubstr("nothing to remove (1 patch(es) kept)"));
	EXPECT_EQ(old.finish(), 0);
	gc = graft({"gc"});
	EXPECT_THAT(gc.out, HasSubstr("removed patch '10-fix'"));
	EXPECT_FALSE(fs::exists(store() + "/modules/10-fix.so"));
}

// gc keeps an entry whose build-id a recorded file still has, even with no process.
TEST_F(Store, GcKeepsAnEntryAnInstalledFileHas)
{
	ASSERT_EQ(graft({"install", "--no-apply", "--target", lib_path(), module("10-fix")}).status,
		  0);
	EXPECT_THAT(graft({"gc"}).out, HasSubstr("nothing to remove"));
	use_lib("y");
	EXPECT_THAT(graft({"gc"}).out, HasSubstr("removed patch '10-fix'"));
}

// uninstall: new processes no longer get it, running ones keep it until disable --all.
TEST_F(Store, UninstallThenDisableAll)
{
	Target a(prog()), b(prog());
	ASSERT_EQ(a.read_line(), "main: old");
	ASSERT_EQ(b.read_line(), "main: old");
	ASSERT_TRUE(a.wait_ready() && b.wait_ready());
	ASSERT_EQ(graft({"install", module("10-fix"), "--exe", prog()}).status, 0);
	CmdResult r = graft({"uninstall", "10-fix"});
	EXPECT_EQ(r.status, 0) << r.err;
	Target c(prog());
	EXPECT_EQ(c.read_line(), "main: old");
	EXPECT_EQ(a.ask("call"), "call: fixed");
	r = graft({"disable", "--all", "10-fix", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(a) + " store_prog       disabled"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(b) + " store_prog       disabled"));
	EXPECT_EQ(a.ask("call"), "call: old");
	EXPECT_EQ(b.ask("call"), "call: old");
	EXPECT_EQ(graft({"uninstall", "10-fix"}).status, 1);
}

// The kill switch: with GRAFT_CONFIG_DIR/disable present the runtime does nothing, not
// even its control socket, and no stored patch is mapped.
TEST_F(Store, KillSwitchMakesTheRuntimeInert)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	std::ofstream(dir_ + "/etc/disable").put('\n');
	Target p(prog());
	EXPECT_EQ(p.read_line(), "main: old");
	EXPECT_EQ(p.ask("call"), "call: old");
	EXPECT_THAT(read_file("/proc/" + pid_str(p) + "/maps"), Not(HasSubstr("10-fix.so")));
	EXPECT_FALSE(fs::exists(runtime_.path() + "/" + pid_str(p) + ".sock"));
}

// Preloaded without graft run (control on demand, as /etc/ld.so.preload gives it): the
// store's patch applies before main with no thread of graft's; status --all leaves such
// a process alone while no stored patch applies to it, and asks it (starting its control
// with ptrace) once one does; install and disable --all reach it like any other.
TEST_F(Store, AProcessWithControlOnDemandIsPatchedAndAskedOnlyWhereAPatchApplies)
{
	auto preloaded = [&] {
		return std::make_unique<Target>(
			Target::Direct{}, "/usr/bin/env",
			std::vector<std::string>{"LD_PRELOAD=" + out_dir() + "/lib/libgraft.so",
						 prog()});
	};
	auto has_control = [](const Target &t) {
		std::string task = "/proc/" + std::to_string(t.pid()) + "/task";
		for (const auto &e : fs::directory_iterator(task))
			if (read_file(e.path().string() + "/comm") == "graft-ctl\n")
				return true;
		return false;
	};
	auto p = preloaded();
	ASSERT_EQ(p->read_line(), "main: old");
	json rec = status_all()[p->pid()];
	EXPECT_EQ(rec.value("runtime", ""), "on-demand") << rec.dump();
	EXPECT_EQ(rec.value("verdict", ""), "no stored patch") << rec.dump();
	EXPECT_FALSE(has_control(*p)) << "status --all started a control nothing needed";

	CmdResult r = graft({"install", module("10-fix"), "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(*p) + " store_prog       patched: 10-fix"));
	EXPECT_EQ(p->ask("call"), "call: fixed");
	EXPECT_TRUE(has_control(*p));

	auto later = preloaded();
	EXPECT_EQ(later->read_line(), "main: fixed");
	EXPECT_FALSE(has_control(*later));
	rec = status_all()[later->pid()];
	EXPECT_EQ(rec.value("runtime", ""), "present") << rec.dump();
	EXPECT_EQ(rec.value("verdict", ""), "patched") << rec.dump();
	EXPECT_TRUE(has_control(*later));

	// disable --all reaches a process patched at start whose control never started.
	auto third = preloaded();
	ASSERT_EQ(third->read_line(), "main: fixed");
	ASSERT_FALSE(has_control(*third));
	r = graft({"disable", "--all", "10-fix", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(*third) + " store_prog       disabled"));
	EXPECT_EQ(third->ask("call"), "call: old");
	EXPECT_EQ(p->ask("call"), "call: old");
}

} // namespace
