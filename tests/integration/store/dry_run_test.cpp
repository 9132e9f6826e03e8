// SPDX-License-Identifier: MIT
// dry_run_test.cpp - what the Ansible modules rely on (docs/fleet.md): --dry-run of
// install and disable --all changes neither the store nor any process; installing the
// same bytes again leaves the store as it is and says so in its JSON; status --all
// --json lists the store and graft's version.
#include "store_fixture.hpp"

using namespace graft::test;

namespace {

class StoreJson : public StoreWorld {
protected:
	// The JSON document of graft ARGS --json; its exit status in *status.
	json graft_json(std::vector<std::string> args, int *status)
	{
		args.push_back("--json");
		CmdResult r = graft(args);
		*status = r.status;
		json j = json::parse(r.out, nullptr, false);
		if (j.is_discarded())
			ADD_FAILURE() << "not JSON: " << r.out << r.err;
		return j;
	}
};

std::string result_of(const json &doc, pid_t pid)
{
	for (const json &p : doc.value("processes", json::array()))
		if (p.value("pid", 0) == pid)
			return p.value("result", "");
	return "(no record)";
}

TEST_F(StoreJson, DryRunChangesNothingAndTheSameBytesLeaveTheStoreAlone)
{
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old");
	ASSERT_TRUE(p.wait_ready());
	int status = -1;
	json d = graft_json({"install", "--dry-run", module("10-fix"), "--exe", prog()}, &status);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(d["store"]["change"], "added");
	EXPECT_EQ(d["dry_run"], true);
	EXPECT_EQ(result_of(d, p.pid()), "would patch");
	EXPECT_EQ(p.ask("call"), "call: old");
	EXPECT_FALSE(fs::exists(store() + "/modules/10-fix.so"));
	EXPECT_FALSE(fs::exists(store() + "/manifest.json"));

	d = graft_json({"install", module("10-fix"), "--exe", prog()}, &status);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(d["store"]["change"], "added");
	EXPECT_EQ(result_of(d, p.pid()), "patched");
	EXPECT_EQ(p.ask("call"), "call: fixed");

	auto index_time = fs::last_write_time(store() + "/index");
	d = graft_json({"install", module("10-fix"), "--exe", prog()}, &status);
	EXPECT_EQ(d["store"]["change"], "unchanged");
	EXPECT_EQ(result_of(d, p.pid()), "already");
	EXPECT_EQ(fs::last_write_time(store() + "/index"), index_time);

	d = graft_json({"disable", "--all", "10-fix", "--exe", prog(), "--dry-run"}, &status);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(result_of(d, p.pid()), "would disable");
	EXPECT_EQ(p.ask("call"), "call: fixed");

	d = graft_json({"status", "--all", "--exe", prog()}, &status);
	ASSERT_EQ(d["store"].size(), 1u) << d.dump();
	EXPECT_EQ(d["store"][0]["name"], "10-fix");
	EXPECT_EQ(d["store"][0]["objects"][0]["build_id"], STORE_ID_X);
	EXPECT_FALSE(d.value("version", "").empty());
}

} // namespace
