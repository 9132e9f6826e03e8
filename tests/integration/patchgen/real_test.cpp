// SPDX-License-Identifier: MIT
// real_test.cpp - graft-patchgen on real programs with their real upstream fixes, taken
// unchanged, built the ordinary way (no graft-cc, compile and link in one command):
// the wrong behaviour, the module, the right behaviour, disable, enable, unload.
#include <gtest/gtest.h>

#include <filesystem>

#include "pg_support.hpp"

using namespace graft::test;

namespace {

struct Step {
	const char *ask, *wrong, *right;
};

// Runs the deployed program under graft, shows each step wrong, generates the module
// from the upstream fix, and takes it through load / disable / enable / unload.
void live_fix(const PgTree &tree, const std::string &program, const std::string &fix,
	      const std::vector<Step> &steps)
{
	Target t(tree.deployed(program));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid());
	for (const Step &s : steps)
		EXPECT_EQ(t.ask(s.ask), s.wrong) << s.ask;
	CmdResult g = tree.generate("real", fix, program);
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	ASSERT_EQ(run_graft({"load", pid, tree.module(fix)}).status, 0);
	for (const Step &s : steps)
		EXPECT_EQ(t.ask(s.ask), s.right) << s.ask;
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	for (const Step &s : steps)
		EXPECT_EQ(t.ask(s.ask), s.wrong) << "disabled: " << s.ask;
	ASSERT_EQ(run_graft({"enable", pid, fix}).status, 0);
	for (const Step &s : steps)
		EXPECT_EQ(t.ask(s.ask), s.right) << "enabled again: " << s.ask;
	ASSERT_EQ(run_graft({"disable", pid, fix}).status, 0);
	ASSERT_EQ(run_graft({"unload", pid, fix}).status, 0);
	for (const Step &s : steps)
		EXPECT_EQ(t.ask(s.ask), s.wrong) << "unloaded: " << s.ask;
	EXPECT_EQ(t.finish(), 0);
}

// inih (github.com/benhoyt/inih), commit e6735ff: with both ':' and '=' on a line, '='
// took precedence; the first of the two must split name and value.
TEST(PatchgenReal, InihColonAndEqualsOnOneLine)
{
	PgTree tree("real/inih", {"inid"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	live_fix(tree, "inid", "inih-e6735ff",
		 {{"name: value=x", "NAME=[name: value] VALUE=[x]", "NAME=[name] VALUE=[value=x]"},
		  {"key = v", "NAME=[key] VALUE=[v]", "NAME=[key] VALUE=[v]"},
		  {"a=b:c", "NAME=[a] VALUE=[b:c]", "NAME=[a] VALUE=[b:c]"}});
}

// jsmn (github.com/zserge/jsmn), commit 4ce4404 (issue #81): a closing bracket after
// a complete top-level object was accepted.
TEST(PatchgenReal, JsmnExtraClosingBracket)
{
	PgTree tree("real/jsmn", {"jsond"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	live_fix(tree, "jsond", "jsmn-4ce4404",
		 {{"{\"key 1\": 1234}}", "tokens 3", "error -2"},
		  {"{\"a\": [1, 2]}", "tokens 5", "tokens 5"},
		  {"]", "error -2", "error -2"}});
}

// cJSON (github.com/DaveGamble/cJSON), commit 03ba72f (issue #180): cJSON_Compare found
// an object equal to every object it is a subset of.
TEST(PatchgenReal, CjsonCompareOfAnObjectAndItsSuperset)
{
	PgTree tree("real/cjson", {"cjsond"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	RuntimeDir rundir;
	live_fix(tree, "cjsond", "cjson-03ba72f",
		 {{"{\"a\":1} | {\"a\":1,\"b\":2}", "equal", "different"},
		  {"{\"a\":1,\"b\":2} | {\"a\":1}", "different", "different"},
		  {"{\"a\":[1,{\"b\":2}]} | {\"a\":[1,{\"b\":2}]}", "equal", "equal"}});
}

} // namespace

namespace {

// Issue 21: LTO is known from the first compile command; refused there, not after the
// relinks (the deployed build here had no LTO: the rebuild asks for it).
TEST(PatchgenReal, LtoIsRefusedAtTheFirstCompile)
{
	PgTree tree("real/inih", {"inid"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--src", tree.dir(), "--patch",
			   pg_source_dir() + "/real/inih-e6735ff.patch", "--build",
			   "make -s CFLAGS='-O2 -flto'", "--target", tree.deployed("inid"), "-o",
			   tree.module("lto")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("an LTO build (-flto), refused before building it"), std::string::npos)
		<< r.err;
	EXPECT_FALSE(std::filesystem::exists(tree.module("lto")));
}

// A tree that stamps every build into its code does not build the same objects after
// the fix is reverted: refused, naming the object, instead of a meaningless comparison.
TEST(PatchgenReal, TreeThatDoesNotRebuildTheSameObjectsIsRefused)
{
	PgTree tree("stamp", {"stamped"});
	ASSERT_TRUE(tree.ok()) << tree.error();
	CmdResult r = run({out_dir() + "/bin/graft-patchgen", "--src", tree.dir(), "--patch",
			   pg_source_dir() + "/stamp/fix.patch", "--build", "make -s", "--target",
			   tree.deployed("stamped"), "-o", tree.module("stamp")});
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("does not build the same"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("app.c.o"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree.module("stamp")));
}

} // namespace
