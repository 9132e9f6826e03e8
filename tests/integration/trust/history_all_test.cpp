// SPDX-License-Identifier: MIT
// history_all_test.cpp - `graft history --all`: the audit records of every process with a
// runtime, merged in time order, as JSON and as a table; a process without a runtime is
// not listed. Other tests may run trust_prog at the same time: only this test's
// processes are looked at.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "trust_fixture.hpp"

namespace graft::test {
namespace {

using json = nlohmann::json;

class HistoryAll : public TrustDir {
protected:
	std::string prog() const { return trust_out() + "/trust_prog"; }
};

TEST_F(HistoryAll, MergesEveryProcessInTimeOrder)
{
	std::string fix = patch_copy("fix");
	Target a(prog()), b(prog());
	Target bare(Target::Direct{}, prog());
	for (Target *t : {&a, &b, &bare})
		ASSERT_EQ(t->read_line(), "ready");
	ASSERT_TRUE(a.wait_ready());
	ASSERT_TRUE(b.wait_ready());
	std::string pa = std::to_string(a.pid()), pb = std::to_string(b.pid());
	// Three records in a known order: a's load, b's load, a's disable.
	ASSERT_EQ(run_graft({"load", pa, fix}).status, 0);
	ASSERT_EQ(run_graft({"load", pb, fix}).status, 0);
	ASSERT_EQ(run_graft({"disable", pa, "fix"}).status, 0);

	CmdResult j = run_graft({"history", "--all", "--json", "--exe", prog()});
	ASSERT_EQ(j.status, 0) << j.out << j.err;
	json doc = json::parse(j.out);
	EXPECT_EQ(doc["ok"], true);
	std::map<int, json> procs;
	for (const json &p : doc["processes"])
		procs[p["pid"].get<int>()] = p;
	ASSERT_TRUE(procs.count(a.pid()) && procs.count(b.pid())) << j.out;
	EXPECT_EQ(procs[a.pid()]["records"], 2);
	EXPECT_EQ(procs[b.pid()]["records"], 1);
	EXPECT_EQ(procs[a.pid()]["error"], "");
	EXPECT_FALSE(procs.count(bare.pid())) << "a process without a runtime has no history";

	std::vector<std::pair<int, std::string>> ours;
	int64_t last = 0;
	for (const json &r : doc["records"]) {
		EXPECT_GE(r["time_usec"].get<int64_t>(), last) << "records in time order";
		last = r["time_usec"].get<int64_t>();
		int pid = r["pid"].get<int>();
		if (pid == a.pid() || pid == b.pid())
			ours.emplace_back(pid, r["action"].get<std::string>());
	}
	std::vector<std::pair<int, std::string>> want{
		{a.pid(), "load"}, {b.pid(), "load"}, {a.pid(), "disable"}};
	EXPECT_EQ(ours, want) << j.out;

	// The table: one line per record, with the process's pid, in the same order.
	CmdResult t = run_graft({"history", "--all", "--exe", prog()});
	ASSERT_EQ(t.status, 0) << t.err;
	std::vector<std::string> lines;
	for (const std::string &l : lines_of(t.out))
		for (const std::string &pid : {pa, pb})
			if (l.find(" " + pid + " ") == 19) // after "YYYY-MM-DD HH:MM:SS"
				lines.push_back(l.substr(20));
	ASSERT_EQ(lines.size(), 3u) << t.out;
	EXPECT_EQ(lines[0].rfind(pa + " load     fix      uid=0 pid=", 0), 0u) << lines[0];
	EXPECT_EQ(lines[1].rfind(pb + " load     fix      uid=0 pid=", 0), 0u) << lines[1];
	EXPECT_EQ(lines[2].rfind(pa + " disable  fix      uid=0 pid=", 0), 0u) << lines[2];

	CmdResult none = run_graft({"history"});
	EXPECT_EQ(none.status, 2);
	EXPECT_NE(none.err.find("history needs PID, or --all"), std::string::npos) << none.err;
}

} // namespace
} // namespace graft::test
