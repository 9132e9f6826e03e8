// SPDX-License-Identifier: MIT
// multi_test.cpp - one fix spanning an executable and its shared library: one module,
// one graft_object for each, both patched in the running program at once.
#include <gtest/gtest.h>

#include <filesystem>

#include "pg_support.hpp"

using namespace graft::test;
namespace fs = std::filesystem;

namespace {

struct Ask {
	const char *ask, *wrong, *right;
};

// "pct 1 2" is computed by libcalc.so (wrong: 33), "grade 50" by the program (wrong:
// fail); "pct 2 4" goes through both in two steps.
const Ask kAsks[] = {{"pct 1 2", "33", "50"}, {"grade 50", "fail", "pass"},
		     {"pct 9 10", "81", "90"}, {"grade 49", "fail", "fail"}};

void expect_all(Target &t, bool fixed, const char *when)
{
	for (const Ask &a : kAsks)
		EXPECT_EQ(t.ask(a.ask), fixed ? a.right : a.wrong) << when << ": " << a.ask;
}

TEST(PatchgenMulti, FixOfProgramAndLibraryIsOneModule)
{
	PgTree tree("multi", {"grades", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	Target t(tree.deployed("grades"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid()), fix = "pass-mark-and-percent";
	expect_all(t, false, "before");
	CmdResult g = run({out_dir() + "/bin/graft-patchgen", "--src", tree.dir(), "--patch",
			   pg_source_dir() + "/fixes-multi/" + fix + ".patch", "--build", "make -s",
			   "--target", tree.deployed("grades"), "--target", tree.deployed("libcalc.so"),
			   "-o", tree.module(fix)},
			  300);
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	EXPECT_NE(g.out.find("graft_object: (the program)\ngraft_func: grade sympos 0"), std::string::npos)
		<< g.out;
	EXPECT_NE(g.out.find("graft_object: libcalc.so\ngraft_func: calc_percent sympos 0"),
		  std::string::npos) << g.out;
	CmdResult l = run_graft({"load", pid, tree.module(fix)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	expect_all(t, true, "loaded");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	expect_all(t, false, "disabled");
	ASSERT_EQ(run_graft({"enable", pid, fix}).status, 0);
	expect_all(t, true, "enabled again");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	ASSERT_EQ(run_graft({"unload", pid, fix}).status, 0);
	expect_all(t, false, "unloaded");
	EXPECT_EQ(t.finish(), 0);
}

// The same fix with only the program as --target: libcalc's unit belongs to none of
// the targets given; refused naming the unit, no module (it was a module with the
// program's half of the fix only, the library's change taken for inlined away).
TEST(PatchgenMulti, UnitOfNoGivenTargetIsRefused)
{
	PgTree tree("multi", {"grades", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	std::string fix = "pass-mark-and-percent";
	CmdResult g = run({out_dir() + "/bin/graft-patchgen", "--src", tree.dir(), "--patch",
			   pg_source_dir() + "/fixes-multi/" + fix + ".patch", "--build", "make -s",
			   "--target", tree.deployed("grades"), "-o", tree.module(fix)},
			  300);
	EXPECT_EQ(g.status, 1) << g.out << g.err;
	EXPECT_NE(g.err.find("calc.c.o: none of its functions is in"), std::string::npos) << g.err;
	EXPECT_FALSE(fs::exists(tree.module(fix)));
}

// A fix that adds a source file (policy.c: a new function and a new global, the
// makefile changed to link it): the new unit is all new code in the module; the
// changed grade() calls into it. Loaded, disabled, enabled, unloaded.
TEST(PatchgenMulti, FixAddingASourceFile)
{
	PgTree tree("multi", {"grades", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	Target t(tree.deployed("grades"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid()), fix = "pass-mark-in-new-file";
	EXPECT_EQ(t.ask("grade 50"), "fail");
	CmdResult g = tree.generate("fixes-multi", fix, "grades");
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	EXPECT_NE(g.out.find("new: passes (.graft-grades/policy.c.o)"), std::string::npos) << g.out;
	EXPECT_NE(g.out.find("graft_func: grade sympos 0"), std::string::npos) << g.out;
	CmdResult l = run_graft({"load", pid, tree.module(fix)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	for (auto [ask, fixed] : {std::pair{"grade 50", "pass"}, std::pair{"grade 49", "fail"},
				  std::pair{"grade 80", "pass"}})
		EXPECT_EQ(t.ask(ask), fixed) << ask;
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("grade 50"), "fail");
	ASSERT_EQ(run_graft({"enable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("grade 50"), "pass");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	ASSERT_EQ(run_graft({"unload", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("grade 50"), "fail");
	EXPECT_EQ(t.finish(), 0);
}

// Callbacks and a shadow variable type written in the fix itself with the macros of
// <graft/graft.h>: patchgen puts them in the program's graft_object. pre_patch changes
// the version the program reports, post_unpatch restores it; the fixed grade() counts
// passes in a shadow variable of the typed API, which exists only while its type is
// registered (NULL otherwise: no count).
TEST(PatchgenMulti, CallbacksAndShadowTypeWrittenInTheFix)
{
	PgTree tree("multi", {"grades", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	Target t(tree.deployed("grades"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid()), fix = "pass-mark-with-callbacks";
	EXPECT_EQ(t.ask("version"), "grades 1.0");
	EXPECT_EQ(t.ask("grade 50"), "fail");
	CmdResult g = tree.generate("fixes-multi", fix, "grades");
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	for (const char *line : {"pre_patch: say_fixed", "post_unpatch: say_unfixed",
				 "shadow_type: passes_type", "graft_func: grade sympos 0"})
		EXPECT_NE(g.out.find(line), std::string::npos) << line << "\n" << g.out;
	// main() only uses string literals the fix renumbers (.LC2 became .LC5): unchanged.
	EXPECT_EQ(g.out.find("changed: main"), std::string::npos) << g.out;
	CmdResult l = run_graft({"load", pid, tree.module(fix)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	EXPECT_EQ(t.ask("version"), "grades 1.0 (pass mark fixed live)");
	EXPECT_EQ(t.ask("grade 50"), "pass #1");
	EXPECT_EQ(t.ask("grade 49"), "fail");
	EXPECT_EQ(t.ask("grade 70"), "pass #2");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("version"), "grades 1.0");
	EXPECT_EQ(t.ask("grade 50"), "fail");
	ASSERT_EQ(run_graft({"enable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("version"), "grades 1.0 (pass mark fixed live)");
	EXPECT_EQ(t.ask("grade 50"), "pass #1") << "the shadow variables go with their type";
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	ASSERT_EQ(run_graft({"unload", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("version"), "grades 1.0");
	EXPECT_EQ(t.finish(), 0);
}

// A series of fixes as one cumulative module: the first fix is loaded on its own, then
// the module of the first and a second fix (rounded percentages) with --replace
// replaces it atomically; the first can be unloaded, the cumulative one holds both
// fixes, and disabling it leaves the original program.
TEST(PatchgenMulti, CumulativeModuleOfASeriesReplacesTheFirstFix)
{
	PgTree tree("multi", {"grades", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	Target t(tree.deployed("grades"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid()), first = "pass-mark-and-percent",
		    both = "percent-rounded";
	auto generate = [&](const std::vector<std::string> &fixes, const std::string &out, bool replace) {
		std::vector<std::string> argv = {out_dir() + "/bin/graft-patchgen", "--src", tree.dir(),
						 "--build", "make -s", "--target", tree.deployed("grades"),
						 "--target", tree.deployed("libcalc.so"), "-o",
						 tree.module(out)};
		for (const std::string &f : fixes)
			argv.insert(argv.end(), {"--patch", pg_source_dir() + "/fixes-multi/" + f + ".patch"});
		if (replace)
			argv.push_back("--replace");
		return run(argv, 300);
	};
	EXPECT_EQ(t.ask("pct 2 3"), "50");
	CmdResult g1 = generate({first}, first, false);
	ASSERT_EQ(g1.status, 0) << g1.out << g1.err;
	CmdResult g2 = generate({first, both}, both, true);
	ASSERT_EQ(g2.status, 0) << g2.out << g2.err;
	EXPECT_NE(g2.out.find("replace: a cumulative module"), std::string::npos) << g2.out;
	EXPECT_NE(g2.out.find("graft_func: grade sympos 0"), std::string::npos) << g2.out;
	ASSERT_EQ(run_graft({"load", pid, tree.module(first)}).status, 0);
	EXPECT_EQ(t.ask("pct 2 3"), "66");
	EXPECT_EQ(t.ask("grade 50"), "pass");
	CmdResult l = run_graft({"load", pid, tree.module(both)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	EXPECT_EQ(t.ask("pct 2 3"), "67");
	EXPECT_EQ(t.ask("grade 50"), "pass");
	CmdResult u = run_graft({"unload", pid, first});
	EXPECT_EQ(u.status, 0) << "the replaced module is disabled: " << u.out << u.err;
	EXPECT_EQ(t.ask("pct 2 3"), "67");
	EXPECT_EQ(t.ask("grade 50"), "pass");
	ASSERT_EQ(run_graft({"disable", pid, both}).status, 0);
	EXPECT_EQ(t.ask("pct 2 3"), "50");
	EXPECT_EQ(t.ask("grade 50"), "fail");
	ASSERT_EQ(run_graft({"unload", pid, both}).status, 0);
	EXPECT_EQ(t.finish(), 0);
}


// A library built as Debian builds libgd (issue 21, both found on it): by libtool, each
// source compiled twice, for the shared library (.libs/NAME.o, -fPIC -DPIC) and for
// the static one (NAME.o), and with -fvisibility=hidden. The fix changes calc_percent,
// which calls calc_scale of another unit, hidden: a LOCAL symbol of libcalc.so.
// It was refused as "compiler or flags differ" (GCC's DW_AT_producer of calc.o has no
// -fPIC; with Clang's, which names no flags, the module's link failed on calc_percent
// defined twice); then "the module needs 'calc_scale', which neither ... export". The
// object of the static library is left out, calc_scale is reached in the target; the
// module fixes the running program.
TEST(PatchgenMulti, LibraryBuiltByLibtoolWithHiddenFunctions)
{
	PgTree tree("libtool", {"pct", "libcalc.so"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	ASSERT_TRUE(fs::exists(tree.dir() + "/calc.o") && fs::exists(tree.dir() + "/.libs/calc.o"));
	ASSERT_EQ(run({"sh", "-c", "readelf -sW " + tree.deployed("libcalc.so") +
				       " | grep -q 'LOCAL  DEFAULT.* calc_scale$'"})
			  .status,
		  0) << "calc_scale is hidden: LOCAL in libcalc.so";
	RuntimeDir rundir;
	Target t(tree.deployed("pct"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid()), fix = "percent-of-the-whole";
	EXPECT_EQ(t.ask("pct 1 2"), "33");
	CmdResult g = run({out_dir() + "/bin/graft-patchgen", "-v", "--src", tree.dir(), "--patch",
			   pg_source_dir() + "/fixes-multi/" + fix + ".patch", "--build", "make -s",
			   "--target", tree.deployed("libcalc.so"), "-o", tree.module(fix)},
			  300);
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	EXPECT_NE(g.out.find("changed: calc_percent (.libs/calc.o)"), std::string::npos) << g.out;
	EXPECT_NE(g.out.find("graft_func: calc_percent sympos 0"), std::string::npos) << g.out;
	EXPECT_NE(g.out.find("graft_sym: calc_scale sympos 0"), std::string::npos) << g.out;
	EXPECT_TRUE(g.err.find("calc.o: the same source as .libs/calc.o") != std::string::npos ||
		    g.err.find("calc.o: compiled with other flags than the target's") != std::string::npos)
		<< g.err;
#ifdef PG_CC_IS_GCC
	EXPECT_NE(g.err.find("calc.o: compiled with other flags than the target's 'calc.c'"),
		  std::string::npos) << g.err;
	EXPECT_EQ(g.out.find("changed: calc_percent (calc.o)"), std::string::npos) << g.out;
#endif
	CmdResult l = run_graft({"load", pid, tree.module(fix)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	EXPECT_EQ(t.ask("pct 1 2"), "50");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("pct 1 2"), "33");
	ASSERT_EQ(run_graft({"enable", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("pct 1 2"), "50");
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	ASSERT_EQ(run_graft({"unload", pid, fix}).status, 0);
	EXPECT_EQ(t.ask("pct 1 2"), "33");
	EXPECT_EQ(t.finish(), 0);
}

} // namespace
