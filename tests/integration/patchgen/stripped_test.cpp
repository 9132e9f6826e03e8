// SPDX-License-Identifier: MIT
// stripped_test.cpp - targets as distributions ship them: stripped, their symbols in a
// separate debug file (found by .gnu_debuglink or by build-id, or given), and the
// compiler flags of the rebuild checked against the target's DW_AT_producer.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "pg_support.hpp"

using namespace graft::test;
namespace fs = std::filesystem;

namespace {

const char *kInihFix = "inih-e6735ff";

std::string patchgen() { return out_dir() + "/bin/graft-patchgen"; }

std::string fix_path() { return pg_source_dir() + "/real/" + std::string(kInihFix) + ".patch"; }

std::string build_id_of(const std::string &file)
{
	CmdResult r = run({"readelf", "-n", file});
	size_t at = r.out.find("Build ID: ");
	if (at == std::string::npos)
		return "";
	std::istringstream in(r.out.substr(at + 10));
	std::string id;
	in >> id;
	return id;
}

bool has_symtab(const std::string &file)
{
	return run({"readelf", "-S", "-W", file}).out.find(" .symtab ") != std::string::npos;
}

// Splits deploy/NAME as dh_strip does: NAME.debug keeps the symbols and DWARF, NAME is
// stripped of both (with a .gnu_debuglink naming NAME.debug when link).
void split_debug(const std::string &file, bool link)
{
	ASSERT_EQ(run({"objcopy", "--only-keep-debug", file, file + ".debug"}).status, 0);
	std::vector<std::string> strip = {"objcopy", "--strip-all"};
	if (link)
		strip.push_back("--add-gnu-debuglink=" + file + ".debug");
	strip.push_back(file);
	ASSERT_EQ(run(strip).status, 0);
	ASSERT_FALSE(has_symtab(file));
}

CmdResult generate(const PgTree &tree, const std::vector<std::string> &extra)
{
	std::vector<std::string> argv = {patchgen(), "--src", tree.dir(), "--patch", fix_path(),
					 "--build", "make -s", "--target", tree.deployed("inid"),
					 "-o", tree.module(kInihFix)};
	argv.insert(argv.end(), extra.begin(), extra.end());
	return run(argv, 300);
}

// Stripped, its debug file next to it by .gnu_debuglink: patchgen reads the symbols
// there, and so does the runtime when the module loads; the fix works, and goes.
TEST(PatchgenReal, StrippedTargetWithItsDebugLinkIsPatched)
{
	PgTree tree("real/inih", {"inid"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	split_debug(tree.deployed("inid"), true);
	RuntimeDir rundir;
	Target t(tree.deployed("inid"));
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid());
	EXPECT_EQ(t.ask("name: value=x"), "NAME=[name: value] VALUE=[x]");
	CmdResult g = generate(tree, {});
	ASSERT_EQ(g.status, 0) << g.out << g.err;
	EXPECT_NE(g.out.find("graft_func: ini_parse_stream sympos 0"), std::string::npos) << g.out;
	CmdResult l = run_graft({"load", pid, tree.module(kInihFix)});
	ASSERT_EQ(l.status, 0) << l.out << l.err;
	EXPECT_EQ(t.ask("name: value=x"), "NAME=[name] VALUE=[value=x]");
	ASSERT_EQ(run_graft({"disable", pid, kInihFix}).status, 0);
	EXPECT_EQ(t.ask("name: value=x"), "NAME=[name: value] VALUE=[x]");
	ASSERT_EQ(run_graft({"unload", pid, kInihFix}).status, 0);
	EXPECT_EQ(t.finish(), 0);
}

// Stripped without a debug link, the debug file installed by build-id as a -dbgsym
// package installs it (under DIR/.build-id/xx/yyyy.debug): found with --debug-dir;
// without it, refused naming where it was looked for; --debug-file of another build
// refused by build-id. Nothing written when refused.
TEST(PatchgenReal, StrippedTargetDebugFileByBuildIdOrGiven)
{
	PgTree tree("real/inih", {"inid"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	std::string target = tree.deployed("inid"), id = build_id_of(target);
	ASSERT_GT(id.size(), 2u);
	split_debug(target, false);
	std::string dbg = fs::path(target).parent_path().parent_path().string() + "/dbg";
	fs::create_directories(dbg + "/.build-id/" + id.substr(0, 2));
	fs::rename(target + ".debug", dbg + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug");

	CmdResult none = generate(tree, {});
	EXPECT_EQ(none.status, 1) << none.out << none.err;
	EXPECT_NE(none.err.find("is stripped (no .symtab) and no separate debug file"), std::string::npos)
		<< none.err;
	EXPECT_NE(none.err.find("/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2)),
		  std::string::npos) << none.err;
	EXPECT_FALSE(fs::exists(tree.module(kInihFix)));

	CmdResult other = generate(tree, {"--debug-file", patchgen()});
	EXPECT_EQ(other.status, 1) << other.out << other.err;
	EXPECT_NE(other.err.find("is not the debug file of"), std::string::npos) << other.err;
	EXPECT_FALSE(fs::exists(tree.module(kInihFix)));

	CmdResult found = generate(tree, {"--debug-dir", dbg});
	ASSERT_EQ(found.status, 0) << found.out << found.err;
	EXPECT_NE(found.out.find("graft_func: ini_parse_stream sympos 0"), std::string::npos) << found.out;
	EXPECT_TRUE(fs::exists(tree.module(kInihFix)));
}

// The rebuild compiled with other flags than the deployed program (-O1 for -O2): with
// GCC the target's DW_AT_producer says so, and the run is refused naming both, before
// any comparison of code that is not the deployed code.
TEST(PatchgenReal, RebuildWithOtherFlagsThanTheTargetsIsRefused)
{
	PgTree tree("real/inih", {"inid"}, true);
	ASSERT_TRUE(tree.ok()) << tree.error();
	CmdResult r = run({patchgen(), "--src", tree.dir(), "--patch", fix_path(), "--build",
			   "make -s CFLAGS='-O1 -g'", "--target", tree.deployed("inid"), "-o",
			   tree.module(kInihFix)},
			  300);
	EXPECT_EQ(r.status, 1) << r.out << r.err;
#ifdef PG_CC_IS_GCC
	EXPECT_NE(r.err.find("compiler or flags differ from the target's"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find(" -O2"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find(" -O1"), std::string::npos) << r.err;
#else
	// Clang's producer names the compiler only ("Debian clang version 14.0.6"): the
	// flags are not seen there; the -O1 code is refused by its functions' sizes.
	EXPECT_NE(r.err.find("target does not match the original build"), std::string::npos) << r.err;
#endif
	EXPECT_FALSE(fs::exists(tree.module(kInihFix)));
}

} // namespace
