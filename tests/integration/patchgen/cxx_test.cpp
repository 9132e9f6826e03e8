// SPDX-License-Identifier: MIT
// cxx_test.cpp - graft-patchgen on a C++ program (cxx/): methods (virtual and not), a
// function template, exceptions thrown through and caught in patched code, a
// function-local static with a guard variable; and the C++ refusal.
#include <gtest/gtest.h>

#include <filesystem>

#include "pg_support.hpp"

using namespace graft::test;

namespace {

class PatchgenCxx : public ::testing::Test {
protected:
	static void SetUpTestSuite() { tree = new PgTree("cxx", {"shapes"}); }
	static void TearDownTestSuite()
	{
		delete tree;
		tree = nullptr;
	}
	void SetUp() override { ASSERT_TRUE(tree->ok()) << tree->error(); }

	std::string generate(const std::string &fix)
	{
		CmdResult r = tree->generate("fixes-cxx", fix, "shapes");
		EXPECT_EQ(r.status, 0) << r.out << r.err;
		return r.out;
	}
	// Starts the deployed program, checks the answers before, loads the module of fix,
	// checks the answers after.
	void expect_change(const std::string &fix,
			   const std::vector<std::pair<std::string, std::string>> &before,
			   const std::vector<std::pair<std::string, std::string>> &after)
	{
		Target t(tree->deployed("shapes"));
		ASSERT_EQ(t.read_line(), "ready");
		ASSERT_TRUE(t.wait_ready());
		for (const auto &[ask, want] : before)
			EXPECT_EQ(t.ask(ask), want);
		CmdResult r = run_graft({"load", std::to_string(t.pid()), tree->module(fix)});
		ASSERT_EQ(r.status, 0) << r.err;
		for (const auto &[ask, want] : after)
			EXPECT_EQ(t.ask(ask), want);
		EXPECT_EQ(t.finish(), 0);
	}

	RuntimeDir rundir;
	static PgTree *tree;
};

PgTree *PatchgenCxx::tree = nullptr;

TEST_F(PatchgenCxx, VirtualAndNonVirtualMethods)
{
	std::string report = generate("methods");
	EXPECT_NE(report.find("graft_func: _ZNK6Square4areaEv"), std::string::npos) << report;
	EXPECT_NE(report.find("graft_func: _ZNK7Account3feeEi"), std::string::npos) << report;
	expect_change("methods", {{"area 3", "area 9"}, {"fee 1", "fee 6"}},
		      {{"area 3", "area 10"}, {"fee 1", "fee 11"}});
}

TEST_F(PatchgenCxx, FunctionTemplate)
{
	std::string report = generate("template");
	EXPECT_NE(report.find("graft_func: _Z5twiceIiET_S0_"), std::string::npos) << report;
	expect_change("template", {{"twice 2", "twice 5"}}, {{"twice 2", "twice 7"}});
}

TEST_F(PatchgenCxx, ExceptionThrownThroughThePatchedFunction)
{
	generate("throw");
	expect_change("throw", {{"parse 200", "parse 200"}, {"parse -4", "parse error -4"}},
		      {{"parse 200", "parse error 200"}, {"parse -4", "parse error -4"}});
}

TEST_F(PatchgenCxx, PatchedFunctionCatchesTheTargetsException)
{
	std::string report = generate("catch");
	// The catch clause matches through the target's typeinfo, not a copy.
	EXPECT_NE(report.find("graft_sym: _ZTI8BadInput"), std::string::npos) << report;
	expect_change("catch", {{"guarded 3", "guarded -1"}, {"guarded 4", "guarded 2"}},
		      {{"guarded 3", "guarded -2"}, {"guarded 4", "guarded 2"}});
}

TEST_F(PatchgenCxx, LocalStaticAndGuardVariableAreTheTargets)
{
	std::string report = generate("guard");
	EXPECT_NE(report.find("graft_sym: _ZGVZ5tallyiE5total"), std::string::npos) << report;
	// total continues from the target's value; a copied guard would re-run seed().
	expect_change("guard", {{"tally 1", "tally 1001"}}, {{"tally 1", "tally 1003"}});
}

TEST_F(PatchgenCxx, NewDynamicInitialiserIsRefused)
{
	CmdResult r = tree->generate("fixes-cxx", "refuse-global-init", "shapes");
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_NE(r.err.find("static initialiser"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("tally.o"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(tree->module("refuse-global-init")));
}

} // namespace
