// SPDX-License-Identifier: MIT
// stype_test.cpp - shadow variable types end to end (issue 16), on stype-target under
// `graft run` with the stype_patch.c modules: what `graft list` says about each type
// (users, variables), what the target's records say about the dtors (each variable's
// dtor must run exactly once), and what the id-based peek finds (a leaked or stale
// variable would show).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "process.hpp"
#include "transition.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

constexpr unsigned long kSvT = 0x7401, kSvL = 0x7402;
constexpr int kRecs = 300;

struct TypeCount {
	long users = 0; // 0: not registered
	long variables = 0;
};

class ShadowTypes : public ::testing::Test {
protected:
	void SetUp() override
	{
		target = std::make_unique<Target>(dir() + "/stype-target");
		ASSERT_TRUE(target->wait_ready());
		pid = std::to_string(target->pid());
		ASSERT_EQ(ask("new " + std::to_string(kRecs)), "ok " + std::to_string(kRecs));
	}
	void TearDown() override
	{
		if (target) {
			EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
		}
	}

	static std::string dir() { return out_dir() + "/itest-shadow"; }
	std::string ask(const std::string &cmd) { return target->ask(cmd); }
	void graft(const std::vector<std::string> &args)
	{
		CmdResult r = run_graft(args);
		ASSERT_EQ(r.status, 0) << r.out << r.err;
	}
	void load(const std::string &p) { graft({"load", pid, dir() + "/" + p + ".so"}); }
	void disable(const std::string &p) { graft({"disable", pid, p}); }
	void unload(const std::string &p) { graft({"unload", pid, p}); }

	TypeCount type(unsigned long id)
	{
		CmdResult r = run_graft({"list", pid, "--json"});
		EXPECT_EQ(r.status, 0) << r.err;
		nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
		TypeCount c;
		if (!j.is_object() || !j.contains("shadow_types")) {
			ADD_FAILURE() << "no shadow_types in graft list --json: " << r.out;
			return c;
		}
		for (const auto &t : j["shadow_types"])
			if (t["id"].get<unsigned long>() == id)
				c = TypeCount{t["users"].get<long>(), t["variables"].get<long>()};
		return c;
	}
	// "dtors SUM MIN MAX BAD" for every record having had its variable freed `times`.
	static std::string dtors(int times)
	{
		int sum = times * kRecs;
		return "dtors " + std::to_string(sum) + " " + std::to_string(times) + " " +
		       std::to_string(times) + " 0";
	}
	static std::string n(const std::string &what, long v)
	{
		return what + " " + std::to_string(v);
	}

	RuntimeDir rundir; // first: the target and the graft commands share it
	std::unique_ptr<Target> target;
	std::string pid;
};

// The seed's scenario: A registers type T and attaches shadows to live records; B uses
// the same type; disabling A keeps the variables (B still uses them); disabling B frees
// them all, each dtor exactly once.
TEST_F(ShadowTypes, TwoPatchesShareATypeTheLastOneFreesIt)
{
	load("stype-a");
	EXPECT_EQ(ask("touch"), n("touch", kRecs)); // A's rec_touch: every count 1
	EXPECT_EQ(type(kSvT).users, 1);
	EXPECT_EQ(type(kSvT).variables, kRecs);
	load("stype-b");
	EXPECT_EQ(ask("touch"), n("touch", 2 * kRecs)); // B's rec_touch, the same variables
	EXPECT_EQ(type(kSvT).users, 2);

	disable("stype-a");
	EXPECT_EQ(ask("dtors"), dtors(0)) << "B still uses the type";
	EXPECT_EQ(type(kSvT).users, 1);
	EXPECT_EQ(type(kSvT).variables, kRecs);
	EXPECT_EQ(ask("touch"), n("touch", 3 * kRecs)); // kept, with their counts

	disable("stype-b");
	EXPECT_EQ(ask("dtors"), dtors(1));
	EXPECT_EQ(type(kSvT).users, 0) << "no longer listed";
	CmdResult text = run_graft({"list", pid});
	EXPECT_THAT(text.out, ::testing::Not(HasSubstr("0x7401")));
	unload("stype-b");
	unload("stype-a");
}

// `graft list` shows the registered types in its text output too.
TEST_F(ShadowTypes, ListShowsTypesUsersAndVariables)
{
	load("stype-a");
	ask("touch");
	CmdResult text = run_graft({"list", pid});
	EXPECT_THAT(text.out, HasSubstr("shadow types\n"));
	EXPECT_THAT(text.out, ::testing::ContainsRegex("0x7401 +1 +" + std::to_string(kRecs)));
	disable("stype-a");
}

// The downgrade story, object-bound: v1 frees the records' shadows in its patched
// destructor; v2, cumulative, lacks that sub-patch: the variables are freed at the
// replace (with v1's dtor, once each), not leaked; v3 brings the sub-patch back and finds
// no stale variable.
TEST_F(ShadowTypes, DowngradeWithAtomicReplaceObjectBound)
{
	load("stype-v1");
	EXPECT_EQ(ask("touch"), n("touch", kRecs));
	EXPECT_EQ(ask("peek"), n("peek", kRecs));
	load("stype-v2");
	EXPECT_EQ(ask("dtors"), dtors(1)) << "freed at the replace";
	EXPECT_EQ(ask("peek"), n("peek", 0)) << "no variable left to leak";
	EXPECT_EQ(type(kSvT).users, 0);
	load("stype-v3");
	EXPECT_EQ(ask("peek"), n("peek", 0)) << "no stale variable";
	EXPECT_EQ(ask("touch"), n("touch", kRecs)) << "fresh counters (stale ones would say 2)";
	EXPECT_EQ(type(kSvT).users, 1);
	EXPECT_EQ(ask("free"), "ok"); // v3's rec_free frees each variable with its record
	EXPECT_EQ(type(kSvT).variables, 0);
	disable("stype-v3");
}

// The same with state-bound shadows: carried across a replace whose patch keeps the
// state (the counts go on), freed by one that drops it, and by a disable.
TEST_F(ShadowTypes, DowngradeWithAtomicReplaceStateBound)
{
	load("stype-s1");
	EXPECT_EQ(ask("touch"), n("touch", kRecs));
	load("stype-s2-keep");
	EXPECT_EQ(ask("dtors"), dtors(0)) << "the state and its variables are carried";
	EXPECT_EQ(ask("touch"), n("touch", 2 * kRecs));
	EXPECT_EQ(type(kSvT).users, 1);
	load("stype-s2-drop"); // a replace without the state: allowed, graft undoes it
	EXPECT_EQ(ask("dtors"), dtors(1));
	EXPECT_EQ(ask("peek"), n("peek", 0));
	EXPECT_EQ(type(kSvT).users, 0);

	// Back up to a patch with the state, then a disable removes it.
	unload("stype-s1");
	load("stype-s1");
	EXPECT_EQ(ask("peek"), n("peek", 0)) << "no stale variable";
	EXPECT_EQ(ask("touch"), n("touch", kRecs));
	disable("stype-s1");
	EXPECT_EQ(ask("dtors"), dtors(2));
	EXPECT_EQ(type(kSvT).users, 0);
}

// A library going away unregisters its object's types: its variables are freed when
// the library unloads, and registered afresh when it loads again.
TEST_F(ShadowTypes, LibraryGoingAwayUnregistersItsTypes)
{
	load("stype-lib");
	EXPECT_EQ(type(kSvL).users, 0) << "the library is not loaded yet";
	EXPECT_EQ(ask("load"), "ok");
	EXPECT_EQ(type(kSvL).users, 1);
	EXPECT_EQ(ask("libtouch"), n("libtouch", kRecs));
	EXPECT_EQ(type(kSvL).variables, kRecs);
	EXPECT_EQ(ask("unload"), "ok");
	EXPECT_EQ(ask("dtors"), dtors(1));
	EXPECT_EQ(type(kSvL).users, 0);
	EXPECT_EQ(ask("load"), "ok");
	EXPECT_EQ(type(kSvL).users, 1);
	EXPECT_EQ(ask("libtouch"), n("libtouch", kRecs)) << "fresh counters";
	disable("stype-lib");
	EXPECT_EQ(ask("dtors"), dtors(2));
	EXPECT_EQ(ask("unload"), "ok");
}

// A type nobody registered: get returns NULL and the log says why.
TEST_F(ShadowTypes, GetOnAnUnregisteredTypeIsNullAndLogged)
{
	load("stype-unreg");
	EXPECT_EQ(ask("peek"), n("peek", 0));
	EXPECT_EQ(ask("touch"), n("touch", -kRecs)); // every get_or_alloc refused
	std::string log = graft_log(target->pid());
	EXPECT_THAT(log, ::testing::ContainsRegex(
				 "graft: get of shadow variable <0x[0-9a-f]+, 7403>: type 7403 is "
				 "not registered \\(list it in the object's shadow_types or a "
				 "state's shadow_type\\)"));
	EXPECT_THAT(log, HasSubstr("graft: further refusals of unregistered shadow types are "
				   "not logged"));
	disable("stype-unreg");
}

// A forced transition keeps the patch's types registered for good: threads may still
// run its code, so its variables are not freed under them (they stay, with the log line).
TEST_F(ShadowTypes, ForcedDisableKeepsTheTypeRegistered)
{
	load("stype-force");
	EXPECT_EQ(ask("touch"), n("touch", kRecs));
	EXPECT_EQ(ask("hold"), "holding"); // a thread sleeps in the patched rec_hold
	graft({"disable", pid, "stype-force", "--no-wait"});
	TransitionStatus st;
	ASSERT_TRUE(wait_status(
		target->pid(),
		[](const TransitionStatus &s) { return s.active && !s.holding.empty(); }, 30, &st))
		<< st.raw << st.err;
	graft({"force", pid});
	ASSERT_TRUE(wait_no_transition(target->pid()));
	EXPECT_EQ(ask("dtors"), dtors(0)) << "not freed: a forced thread may still use them";
	EXPECT_EQ(type(kSvT).users, 1);
	EXPECT_EQ(type(kSvT).variables, kRecs);
	EXPECT_THAT(graft_log(target->pid()),
		    HasSubstr("graft: 'stype-force' had a transition forced: shadow type 7401 "
			      "stays registered"));
	EXPECT_EQ(ask("release"), "released");
}

// ABI version 2 modules keep working: their objects and states are stepped through at
// version 2's sizes (both objects patched, the second state found by both lookups).
TEST_F(ShadowTypes, AbiVersion2ModuleStillWorks)
{
	load("stype-abi2");
	EXPECT_EQ(ask("peek"), n("peek", 7 * kRecs));
	EXPECT_EQ(ask("load"), "ok");
	EXPECT_EQ(ask("libtouch"), n("libtouch", 5 * kRecs));
	EXPECT_THAT(graft_log(target->pid()), HasSubstr("stype-abi2: state 9b version 2 / 2"));
	disable("stype-abi2");
	EXPECT_EQ(ask("peek"), n("peek", 0));
	EXPECT_EQ(ask("unload"), "ok");
}

} // namespace
