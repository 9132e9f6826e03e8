// SPDX-License-Identifier: MIT
// audit_test.cpp - the audit trail of load / force / disable / unload and a refusal,
// checked record by record in `graft history --json` and line by line in the log.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <cstring>

#include <fstream>

#include <nlohmann/json.hpp>

#include "syslog_sink.hpp"
#include "transition.hpp"
#include "trust_fixture.hpp"

namespace graft::test {
namespace {

using json = nlohmann::json;

// The tid of the program's second thread (named like the program), or -1.
int second_thread(pid_t pid, const std::string &comm)
{
	std::string dir = "/proc/" + std::to_string(pid) + "/task";
	DIR *d = opendir(dir.c_str());
	int found = -1;
	while (d && found < 0) {
		dirent *e = readdir(d);
		if (!e)
			break;
		int tid = atoi(e->d_name);
		std::string name;
		std::ifstream(dir + "/" + e->d_name + "/comm") >> name;
		if (tid > 0 && tid != pid && name == comm)
			found = tid;
	}
	if (d)
		closedir(d);
	return found;
}

class Audit : public TrustDir {};

TEST_F(Audit, LoadForceDisableUnloadRecorded)
{
	std::string fix = patch_copy("fix");
	ASSERT_EQ(sign(fix).status, 0);
	std::string key_id;
	std::ifstream(keys + "/graft.pub") >> key_id >> key_id >> key_id >> key_id >> key_id >>
		key_id;
	std::string sha = run({"sha256sum", fix}).out.substr(0, 64);
	std::string unsigned_fix = patch_copy("unsigned");

	SyslogSink syslog(dir + "/log.sock");
	Target t(trust_out() + "/trust_prog");
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(t.wait_ready());
	std::string pid = std::to_string(t.pid());
	ASSERT_EQ(t.ask("hold"), "held");
	int holder = second_thread(t.pid(), "trust_prog");
	ASSERT_GT(holder, 0);
	ASSERT_TRUE(wait_thread_asleep(t.pid(), holder));

	write_policy("require_signature = yes\n");
	EXPECT_EQ(run_graft({"load", pid, unsigned_fix}).status, 1);
	CmdResult load = run_graft({"load", "--no-wait", pid, fix});
	ASSERT_EQ(load.status, 0) << load.err;
	CmdResult force = run_graft({"force", pid});
	ASSERT_EQ(force.status, 0) << force.err;
	ASSERT_EQ(t.ask("release"), "released");
	CmdResult disable = run_graft({"disable", pid, "fix"});
	ASSERT_EQ(disable.status, 0) << disable.err;
	CmdResult unload = run_graft({"unload", pid, "fix"});
	EXPECT_EQ(unload.status, 1) << "a forced patch stays loaded";

	CmdResult hist = run_graft({"history", "--json", pid});
	ASSERT_EQ(hist.status, 0) << hist.err;
	json records = json::parse(hist.out)["records"];
	ASSERT_EQ(records.size(), 5u) << hist.out;
	const char *actions[] = {"load", "load", "force", "disable", "unload"};
	for (size_t i = 0; i < records.size(); i++) {
		const json &r = records[i];
		SCOPED_TRACE(r.dump());
		EXPECT_EQ(r["action"], actions[i]);
		EXPECT_EQ(r["client_uid"], 0);
		EXPECT_GT(r["client_pid"].get<int>(), 0);
		EXPECT_NE(r["client_pid"].get<int>(), t.pid());
		EXPECT_EQ(r["pid"], t.pid());
		EXPECT_EQ(r["exe"], trust_out() + "/trust_prog");
		EXPECT_GT(r["time_usec"].get<int64_t>(), 0);
		if (i == 0) {
			EXPECT_EQ(r["patch"], "unsigned");
			EXPECT_NE(r["result"].get<std::string>().find("refused (unsigned)"),
				  std::string::npos);
			EXPECT_EQ(r["key"], "");
			continue;
		}
		EXPECT_EQ(r["patch"], "fix");
		EXPECT_EQ(r["sha256"], sha);
		EXPECT_EQ(r["key"], key_id);
		if (i < 4)
			EXPECT_EQ(r["result"], "ok");
		else
			EXPECT_NE(r["result"].get<std::string>().find("had a transition forced"),
				  std::string::npos);
	}

	// The same records, one datagram each, in the system log (a socket of the test's
	// standing in for /dev/log).
	std::vector<std::string> lines = syslog.read();
	ASSERT_EQ(lines.size(), 5u);
	std::string head = "<85>graft-audit[" + pid + "]: action=";
	std::string process = " pid=" + pid + " exe=" + trust_out() + "/trust_prog";
	for (size_t i = 0; i < lines.size(); i++) {
		const std::string &l = lines[i];
		SCOPED_TRACE(l);
		EXPECT_EQ(l.substr(0, l.find(" client_pid=")), head + actions[i] + " client_uid=0");
		std::string tail = l.substr(l.find(" pid="));
		if (i == 0)
			EXPECT_EQ(tail.rfind(process + " patch=unsigned sha256=", 0), 0u);
		else if (i < 4)
			EXPECT_EQ(tail, process + " patch=fix sha256=" + sha + " key=" + key_id +
						" result=ok");
		else
			EXPECT_EQ(
				tail.rfind(process + " patch=fix sha256=" + sha + " key=" + key_id +
						   " result=\"patch 'fix' had a transition forced",
					   0),
				0u);
	}
	EXPECT_EQ(graft_log(t.pid()).find("action="), std::string::npos)
		<< "audit records stay out of the runtime's log";
}

} // namespace
} // namespace graft::test
