// SPDX-License-Identifier: MIT
// attach_audit_test.cpp - `graft attach` in the audit trail: a successful attach is
// recorded by the runtime it loaded (graft history, and one syslog datagram); a refused
// one, with no runtime to record it, by graft itself in the system log.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "syslog_sink.hpp"
#include "transition.hpp"
#include "trust_fixture.hpp"

namespace graft::test {
namespace {

using json = nlohmann::json;

class AttachAudit : public TrustDir {
protected:
	std::string prog() const { return trust_out() + "/trust_prog"; }
	// What every attach record says after "client_pid=N": the process and no patch.
	std::string process_part(pid_t pid) const
	{
		return " pid=" + std::to_string(pid) + " exe=" + prog() +
		       " patch=\"\" sha256=\"\" key=\"\" result=";
	}
};

bool wait_stopped(pid_t pid)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (thread_state(pid, pid) != 'T') {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
}

TEST_F(AttachAudit, AnAttachIsRecordedByTheRuntimeItLoaded)
{
	SyslogSink syslog(dir + "/log.sock");
	Target t(Target::Direct{}, prog());
	ASSERT_EQ(t.read_line(), "ready");
	std::string pid = std::to_string(t.pid());
	// graft attach borrows a thread asleep in a system call (here read()).
	ASSERT_TRUE(wait_thread_asleep(t.pid(), t.pid()));
	CmdResult a = run_graft({"attach", pid});
	ASSERT_EQ(a.status, 0) << a.err;

	CmdResult hist = run_graft({"history", "--json", pid});
	ASSERT_EQ(hist.status, 0) << hist.err;
	json records = json::parse(hist.out)["records"];
	ASSERT_EQ(records.size(), 1u) << hist.out;
	const json &r = records[0];
	EXPECT_EQ(r["action"], "attach");
	EXPECT_EQ(r["result"], "ok");
	EXPECT_EQ(r["client_uid"], geteuid());
	int client = r["client_pid"].get<int>();
	EXPECT_GT(client, 0);
	EXPECT_NE(client, t.pid());
	EXPECT_EQ(r["pid"], t.pid());
	EXPECT_EQ(r["exe"], prog());
	EXPECT_EQ(r["patch"], "");
	EXPECT_GT(r["time_usec"].get<int64_t>(), 0);

	// One datagram, from the runtime (tagged with the process's pid), not a second one
	// from graft.
	std::vector<std::string> lines = syslog.read();
	ASSERT_EQ(lines.size(), 1u);
	EXPECT_EQ(lines[0], "<85>graft-audit[" + pid +
				    "]: action=attach client_uid=" + std::to_string(geteuid()) +
				    " client_pid=" + std::to_string(client) +
				    process_part(t.pid()) + "ok");

	// The runtime is there now: a second attach attempts nothing and records nothing.
	CmdResult again = run_graft({"attach", pid});
	EXPECT_EQ(again.status, 0) << again.err;
	EXPECT_NE(again.out.find("already attached"), std::string::npos) << again.out;
	hist = run_graft({"history", "--json", pid});
	EXPECT_EQ(json::parse(hist.out)["records"].size(), 1u) << hist.out;
	EXPECT_TRUE(syslog.read().empty());
}

TEST_F(AttachAudit, ARefusedAttachIsRecordedByGraft)
{
	SyslogSink syslog(dir + "/log.sock");
	Target t(Target::Direct{}, prog());
	ASSERT_EQ(t.read_line(), "ready");
	std::string pid = std::to_string(t.pid());
	ASSERT_EQ(kill(t.pid(), SIGSTOP), 0);
	ASSERT_TRUE(wait_stopped(t.pid()));
	CmdResult a = run_graft({"attach", pid});
	kill(t.pid(), SIGCONT);
	EXPECT_EQ(a.status, 1);
	std::string why =
		"process " + pid + " is stopped: continue it first (kill -CONT " + pid + ")";
	EXPECT_NE(a.err.find(why), std::string::npos) << a.err;

	std::vector<std::string> lines = syslog.read();
	ASSERT_EQ(lines.size(), 1u);
	const std::string &l = lines[0];
	SCOPED_TRACE(l);
	// Sent by graft (its own pid in the tag), not by the process.
	EXPECT_EQ(l.rfind("<85>graft-audit[", 0), 0u);
	EXPECT_EQ(l.find("<85>graft-audit[" + pid + "]"), std::string::npos);
	size_t head =
		l.find("]: action=attach client_uid=" + std::to_string(geteuid()) + " client_pid=");
	ASSERT_NE(head, std::string::npos);
	std::string tail = l.substr(l.find(" pid="));
	EXPECT_EQ(tail, process_part(t.pid()) + "\"" + why + "\"");
	EXPECT_EQ(t.ask("call"), "call: old") << "the process runs on, without the runtime";
	for (const std::string &f : mapped_files(t.pid()))
		EXPECT_EQ(f.find("libgraft"), std::string::npos) << f;
}

} // namespace
} // namespace graft::test
