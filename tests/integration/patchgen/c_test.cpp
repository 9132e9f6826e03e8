// SPDX-License-Identifier: MIT
// c_test.cpp - graft-patchgen on a C program (c/): each fix in fixes-c/ becomes a module
// that `graft load` applies to the running, deployed program; its answers change.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "pg_support.hpp"

#include <fstream>
#include <iterator>

using namespace graft::test;

namespace {

class PatchgenC : public ::testing::Test {
protected:
	static void SetUpTestSuite() { tree = new PgTree("c", {"shop", "libfee.so"}); }
	static void TearDownTestSuite()
	{
		delete tree;
		tree = nullptr;
	}
	void SetUp() override { ASSERT_TRUE(tree->ok()) << tree->error(); }

	// Generates the module of fix; the report (stdout) is returned.
	std::string generate(const std::string &fix, const std::string &target = "shop")
	{
		CmdResult r = tree->generate("fixes-c", fix, target);
		EXPECT_EQ(r.status, 0) << r.out << r.err;
		return r.out;
	}
	// Starts the deployed program under graft: asks `before`, loads the module of fix,
	// asks again and returns the answer.
	void expect_change(const std::string &fix, const std::string &ask, const std::string &before,
			   const std::string &after)
	{
		Target t(tree->deployed("shop"));
		ASSERT_EQ(t.read_line(), "ready");
		ASSERT_TRUE(t.wait_ready());
		EXPECT_EQ(t.ask(ask), before);
		CmdResult r = run_graft({"load", std::to_string(t.pid()), tree->module(fix)});
		ASSERT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(t.ask(ask), after);
		EXPECT_EQ(t.finish(), 0);
	}

public:
	static std::string tree_dir() { return tree->dir(); }

protected:
	RuntimeDir rundir;
	static PgTree *tree;
};

PgTree *PatchgenC::tree = nullptr;

TEST_F(PatchgenC, ChangedStaticFunction)
{
	std::string report = generate("static-func");
	EXPECT_NE(report.find("graft_func: scale sympos 0"), std::string::npos) << report;
	expect_change("static-func", "scale 5", "scale 11", "scale 16");
}

TEST_F(PatchgenC, ChangedFunctionCallsTheTargetsUnchangedStatic)
{
	std::string report = generate("calls-static");
	EXPECT_NE(report.find("graft_sym: base"), std::string::npos) << report;
	Target t(tree->deployed("shop"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	EXPECT_EQ(t.ask("offset 1"), "offset 1");
	ASSERT_EQ(run_graft({"load", std::to_string(t.pid()), tree->module("calls-static")}).status, 0);
	EXPECT_EQ(t.ask("offset 1"), "offset 51");
	// The target's own base() ran both times: its static counter says so.
	EXPECT_EQ(t.ask("base_calls"), "base_calls 2");
	EXPECT_EQ(t.finish(), 0);
}

TEST_F(PatchgenC, StaticAndFunctionLocalStaticAreTheTargets)
{
	std::string report = generate("static-data");
	EXPECT_NE(report.find("graft_sym: counter"), std::string::npos) << report;
	Target t(tree->deployed("shop"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	EXPECT_EQ(t.ask("bump 1"), "bump 1001");
	ASSERT_EQ(run_graft({"load", std::to_string(t.pid()), tree->module("static-data")}).status, 0);
	// counter 1 + 2*1 = 3, calls continues at 2: the patch uses the target's variables.
	EXPECT_EQ(t.ask("bump 1"), "bump 3002");
	EXPECT_EQ(t.finish(), 0);
}

// The fix adds a function with a static named like state_bump's before it, which
// shifts GCC's numbering (state_bump's calls.1 becomes calls.2): the module's state_bump must
// still use the target's own counter of state_bump (matched by the functions using it,
// as kpatch does), not state_tick's, and the new static is the module's own.
TEST_F(PatchgenC, FunctionLocalStaticsMatchedByTheirFunctionNotTheirNumber)
{
	generate("local-static-shift");
	Target t(tree->deployed("shop"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	EXPECT_EQ(t.ask("tick 5"), "tick 5");
	EXPECT_EQ(t.ask("bump 1"), "bump 1001");
	ASSERT_EQ(run_graft({"load", std::to_string(t.pid()), tree->module("local-static-shift")}).status,
		  0);
	EXPECT_EQ(t.ask("bump 1"), "bump 2002") << "state_bump's own calls, not state_tick's (6)";
	EXPECT_EQ(t.ask("tick 1"), "tick 6");
	EXPECT_EQ(t.finish(), 0);
}

// Issue 21: hidden and internal functions are LOCAL symbols of the linked executable
// (in the link's unnamed STT_FILE block). Each visibility is found and replaced, and
// the module goes through the whole life cycle; none may come out as an empty module.
TEST_F(PatchgenC, EveryVisibilityIsFoundInTheTarget)
{
	struct Case {
		const char *fix, *func, *ask, *before, *after;
	};
	const Case cases[] = {
		{"vis-default", "vis_default", "default 1", "default 4", "default 31"},
		{"vis-hidden", "vis_hidden", "hidden 1", "hidden 2", "hidden 11"},
		{"vis-internal", "vis_internal", "internal 1", "internal 3", "internal 21"},
		// static is ChangedStaticFunction; static inlined everywhere: its caller carries it.
		{"vis-inlined", "vis_inlined", "inlined 2", "inlined 5", "inlined 7"},
	};
	for (const Case &c : cases) {
		std::string report = generate(c.fix);
		EXPECT_NE(report.find(std::string("graft_func: ") + c.func + " sympos 0"),
			  std::string::npos)
			<< c.fix << ": " << report;
		Target t(tree->deployed("shop"));
		ASSERT_EQ(t.read_line(), "ready");
		ASSERT_TRUE(t.wait_ready());
		std::string pid = std::to_string(t.pid());
		EXPECT_EQ(t.ask(c.ask), c.before);
		CmdResult r = run_graft({"load", pid, tree->module(c.fix)});
		ASSERT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(t.ask(c.ask), c.after) << c.fix;
		ASSERT_EQ(run_graft({"disable", pid, c.fix}).status, 0) << c.fix;
		EXPECT_EQ(t.ask(c.ask), c.before) << c.fix;
		ASSERT_EQ(run_graft({"enable", pid, c.fix}).status, 0) << c.fix;
		EXPECT_EQ(t.ask(c.ask), c.after) << c.fix;
		ASSERT_EQ(run_graft({"disable", pid, c.fix}).status, 0) << c.fix;
		ASSERT_EQ(run_graft({"unload", pid, c.fix}).status, 0) << c.fix;
		EXPECT_EQ(t.ask(c.ask), c.before) << c.fix;
		EXPECT_EQ(t.finish(), 0);
	}
}

// A fix whose only change is a function nothing in the target runs: no module (it
// would load, say "enabled" and change nothing).
TEST_F(PatchgenC, FixThatChangesNoFunctionOfTheTargetIsRefused)
{
	if (*PG_SAN_FLAGS)
		GTEST_SKIP() << "under AddressSanitizer a new function changes the unit's other "
				"functions too (its instrumentation): no such fix exists";
	CmdResult r = tree->generate("fixes-c", "vis-unused-only", "shop");
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("changes no function of the running target"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("vis_unused"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("vis-unused-only")));
}

TEST_F(PatchgenC, NewHelperFunction)
{
	std::string report = generate("new-helper");
	EXPECT_NE(report.find("new: clamp"), std::string::npos) << report;
	expect_change("new-helper", "clamp 80", "clamp 80", "clamp 50");
}

TEST_F(PatchgenC, InlineFunctionFromAHeaderUsedByTwoUnits)
{
	std::string report = generate("inline-header");
	EXPECT_NE(report.find("views_a.o"), std::string::npos) << report;
	EXPECT_NE(report.find("views_b.o"), std::string::npos) << report;
	Target t(tree->deployed("shop"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	EXPECT_EQ(t.ask("view_a 18"), "view_a 108");
	EXPECT_EQ(t.ask("view_b 18"), "view_b 208");
	ASSERT_EQ(run_graft({"load", std::to_string(t.pid()), tree->module("inline-header")}).status, 0);
	EXPECT_EQ(t.ask("view_a 18"), "view_a 104");
	EXPECT_EQ(t.ask("view_b 18"), "view_b 204");
	EXPECT_EQ(t.finish(), 0);
}

TEST_F(PatchgenC, DuplicateStaticNamesUseSympos)
{
	std::string report = generate("dup-static");
	// value() of dup_b.c is the second "value" in the target's .symtab: replaced (GCC),
	// or, when Clang propagated its constant result into dup_b(), called through a cell.
	EXPECT_NE(report.find("value sympos 2"), std::string::npos) << report;
	EXPECT_EQ(report.find("value sympos 1"), std::string::npos) << report;
	expect_change("dup-static", "dup 0", "dup 12", "dup 13");
}

TEST_F(PatchgenC, IpaCloneOrColdPart)
{
	std::string report = generate("ipa-clone");
	expect_change("ipa-clone", "weigh 2", "weigh 7", "weigh 8");
	std::string cold = generate("cold-part");
	expect_change("cold-part", "check -1", "check -1", "check -2");
#if defined(PG_CC_IS_GCC)
	// GCC clones weigh() (.isra/.constprop) and splits ipa_check's unlikely path into
	// ipa_check.cold: the module redirects the clone and carries the cold part.
	EXPECT_NE(report.find("graft_func: weigh."), std::string::npos) << report;
	EXPECT_NE(cold.find("graft_func: ipa_check sympos 0"), std::string::npos) << cold;
#endif
}

TEST_F(PatchgenC, SharedLibraryTarget)
{
	std::string report = generate("lib-fee", "libfee.so");
	// rate() is replaced (GCC) or its constant is folded into fee() (Clang); either way
	// fee_calls is the library's own static.
	EXPECT_TRUE(report.find("graft_func: rate") != std::string::npos ||
		    report.find("graft_func: fee") != std::string::npos)
		<< report;
	expect_change("lib-fee", "fee 2", "fee 10", "fee 14");
	// The descriptor names the deployed library's build-id (ABI 3): graft install reads
	// it back from the module into the store's manifest.
	CmdResult id = run({"readelf", "-n", tree->deployed("libfee.so")});
	size_t at = id.out.find("Build ID: ");
	ASSERT_NE(at, std::string::npos) << id.out;
	std::string hex = id.out.substr(at + 10, id.out.find('\n', at) - at - 10);
	std::string store = tree->dir() + "/store-check";
	CmdResult r = run_graft({"install", "--no-apply", "--store", store, tree->module("lib-fee")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	std::ifstream manifest(store + "/manifest.json");
	std::string text((std::istreambuf_iterator<char>(manifest)), std::istreambuf_iterator<char>());
	EXPECT_NE(text.find("\"build_id\": \"" + hex + "\""), std::string::npos) << text;
}

TEST_F(PatchgenC, CommentOnlyFixMakesNoModule)
{
	CmdResult r = tree->generate("fixes-c", "comment-only", "shop");
	EXPECT_EQ(r.status, 3) << r.out << r.err;
	EXPECT_NE(r.err.find("no functional change"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("comment-only")));
}

// Issue 21: a package upgrade (or a relink) replaces the files of a running program;
// that is when it needs a patch. The runtime reads the mapped files (/proc/self/exe,
// /proc/self/map_files), not the paths, which now name other files or nothing.
TEST_F(PatchgenC, ProgramAndLibraryReplacedOnDiskAfterStartArePatched)
{
	generate("static-func");
	generate("lib-fee", "libfee.so");
	std::string dir = tree->module("replaced") + ".d";
	std::filesystem::create_directories(dir);
	for (const char *f : {"shop", "libfee.so"})
		std::filesystem::copy_file(tree->deployed(f), dir + "/" + f);
	Target t(dir + "/shop");
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid());
	EXPECT_EQ(t.ask("scale 5"), "scale 11");
	EXPECT_EQ(t.ask("fee 2"), "fee 10");
	// The program is replaced by another file (as `ld -o` or dpkg does: a new inode),
	// the library deleted.
	std::filesystem::remove(dir + "/shop");
	std::filesystem::copy_file(tree->deployed("libfee.so"), dir + "/shop");
	std::filesystem::remove(dir + "/libfee.so");
	CmdResult r = run_graft({"load", pid, tree->module("static-func")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t.ask("scale 5"), "scale 16");
	r = run_graft({"load", pid, tree->module("lib-fee")});
	if (geteuid() == 0) { // /proc/self/map_files needs CAP_CHECKPOINT_RESTORE
		ASSERT_EQ(r.status, 0) << r.out << r.err;
		EXPECT_EQ(t.ask("fee 2"), "fee 14");
	} else {
		EXPECT_NE(r.status, 0);
		EXPECT_NE(r.err.find("replaced or deleted on disk"), std::string::npos) << r.err;
		EXPECT_EQ(t.ask("fee 2"), "fee 10");
	}
	EXPECT_EQ(t.finish(), 0);
}

// Every refusal: exit code 1, the reason and the place on stderr, no module.
struct Refusal {
	const char *fix, *reason, *place;
	const char *other_reason = nullptr; // when a compiler turns one change into another
};

TEST_F(PatchgenC, Refusals)
{
	const Refusal cases[] = {
		{"refuse-data-value", "changed data", "'table'"},
		{"refuse-data-size", "changes size", "'table'"},
		// Never written before, so the compilers made it read-only. (With AddressSanitizer
		// the unit's constructor changes with it, and is refused first.)
		{"refuse-data-section", "moves from .rodata to .data", "data.o", "changed static initialiser"},
		// Clang evaluates the constructor at compile time: table's initial value changes.
		{"refuse-initialiser", "changed static initialiser", "data.o", "changed data"},
		{"refuse-tls", "new thread-local data", "probe_seen"},
		{"refuse-toplevel-asm", "changed assembly", "probe.o"},
		{"refuse-asm-file", "changed assembly", "answer.o"},
		{"refuse-ifunc", "new IFUNC", "probe2"},
	};
	for (const Refusal &c : cases) {
		CmdResult r = tree->generate("fixes-c", c.fix, "shop");
		EXPECT_EQ(r.status, 1) << c.fix << ": " << r.out << r.err;
		EXPECT_TRUE(r.err.find(c.reason) != std::string::npos ||
			    (c.other_reason && r.err.find(c.other_reason) != std::string::npos))
			<< c.fix << ": " << r.err;
		EXPECT_NE(r.err.find(c.place), std::string::npos) << c.fix << ": " << r.err;
		EXPECT_FALSE(std::filesystem::exists(tree->module(c.fix))) << c.fix;
	}
}

// The fix applied to a copy of one source file, compiled through graft-cc with extra
// flags: the "patched object" of the lower-level modes.
std::string patched_object(const std::string &dir, const std::string &file, const std::string &fix,
			   const std::vector<std::string> &flags)
{
	std::filesystem::create_directories(dir);
	std::filesystem::copy_file(PatchgenC::tree_dir() + "/" + file, dir + "/" + file,
				   std::filesystem::copy_options::overwrite_existing);
	CmdResult p = run({"patch", "-s", "-p1", "-d", dir, "-i",
			   pg_source_dir() + "/fixes-c/" + fix + ".patch"});
	EXPECT_EQ(p.status, 0) << p.out << p.err;
	std::string obj = dir + "/" + file.substr(0, file.size() - 2) + ".o";
	std::vector<std::string> argv = {out_dir() + "/bin/graft-cc", "-O2", "-g", "-I",
					 PatchgenC::tree_dir()};
	argv.insert(argv.end(), flags.begin(), flags.end());
	std::istringstream san(PG_SAN_FLAGS); // the tree's own flags, under sanitizers
	for (std::string f; san >> f;)
		argv.push_back(f);
	argv.insert(argv.end(), {"-c", dir + "/" + file, "-o", obj});
	CmdResult c = run(argv);
	EXPECT_EQ(c.status, 0) << c.out << c.err;
	return obj;
}

TEST_F(PatchgenC, TwoObjectsAndTwoTreesModes)
{
	std::string dir = tree->module("modes") + ".d";
	std::string obj = patched_object(dir, "calc.c", "static-func", {"-fPIE"});
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--orig", tree->dir() + "/calc.o",
			   "--patched", obj, "--target", tree->deployed("shop"), "-o",
			   tree->module("two-objects")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_NE(r.out.find("graft_func: scale sympos 0"), std::string::npos) << r.out;
	expect_change("two-objects", "scale 5", "scale 11", "scale 16");
	r = run({out_dir() + "/bin/graft-patchgen", "--orig-tree", tree->dir(), "--patched-tree", dir,
		 "--target", tree->deployed("shop"), "-o", tree->module("two-trees")});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	expect_change("two-trees", "scale 5", "scale 11", "scale 16");
}

TEST_F(PatchgenC, LtoObjectIsRefused)
{
	std::string dir = tree->module("lto") + ".d";
	std::string obj = patched_object(dir, "calc.c", "static-func", {"-fPIE", "-flto"});
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--orig", tree->dir() + "/calc.o",
			   "--patched", obj, "--target", tree->deployed("shop"), "-o",
			   tree->module("lto")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("LTO"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("calc.o"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("lto")));
}

TEST_F(PatchgenC, CodeTheRewriterDoesNotKnowIsRefused)
{
	// Non-PIC code takes string addresses as absolute immediates ($.LC0): a module
	// cannot hold them, and the rewriter says so instead of guessing.
	std::string dir = tree->module("nopic") + ".d";
	std::string obj = patched_object(dir, "ipa.c", "cold-part", {"-fno-pie"});
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--orig", tree->dir() + "/ipa.o",
			   "--patched", obj, "--target", tree->deployed("shop"), "-o",
			   tree->module("nopic")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("rewrite: ipa.o: function '"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("non-PIC"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("nopic")));
}

TEST_F(PatchgenC, TargetFromAnotherBuildIsRefused)
{
	// The same objects linked with another build-id: not the binary this tree built.
	std::string other = tree->module("other") + ".d";
	std::filesystem::create_directories(other);
	std::vector<std::string> link = {PG_CC, "-pie", "-o", other + "/shop"};
	for (const char *o : {"main", "calc", "state", "views_a", "views_b", "dup_a", "dup_b", "ipa",
			      "data", "probe", "answer", "vis"})
		link.push_back(tree->dir() + "/" + o + ".o");
	for (std::string x : {"-L" + tree->dir(), std::string("-lfee"),
			      std::string("-Wl,--build-id=0x0123456789abcdef")})
		link.push_back(x);
	std::istringstream san(PG_SAN_FLAGS);
	for (std::string f; san >> f;)
		link.push_back(f);
	CmdResult l = run(link);
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--src", tree->dir(), "--patch",
			   pg_source_dir() + "/fixes-c/static-func.patch", "--build", "make -s",
			   "--target", other + "/shop", "-o", tree->module("mismatch")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("target does not match the original build"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("0123456789abcdef"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("mismatch")));
}

} // namespace
