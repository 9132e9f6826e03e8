// SPDX-License-Identifier: MIT
// socket_test.cpp - a runtime that cannot make its socket file listens on its abstract
// socket (control/listen.hpp), and graft reaches it there: a process whose /tmp (where
// its runtime directory would be) is read-only, as under systemd's ProtectSystem=strict
// with PrivateTmp, alone and in a network namespace of its own (graft creates the
// connecting socket in that namespace). Both are patched, listed by status --all, and
// the checks of the socket file apply: the server must be the process itself.
#include "store_fixture.hpp"

#include <gmock/gmock.h>

#include <chrono>
#include <thread>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class Sockets : public StoreWorld {
protected:
	// `unshare ARGS` running prog() under `graft run` with an empty, read-only /tmp.
	Target start_read_only_tmp(const std::vector<std::string> &unshare_args)
	{
		std::string then = "sh -c 'mount -o remount,ro /tmp && exec " + out_dir() +
				   "/bin/graft run -- " + prog() + "'";
		std::vector<std::string> args = unshare_args;
		args.insert(args.end(),
			    {"--propagation", "private", "sh", "-c", private_tmp_then(then)});
		return Target(Target::Direct{}, "unshare", args);
	}
	bool has_socket_file(pid_t pid) const
	{
		return fs::exists("/proc/" + std::to_string(pid) + "/root" + runtime_.path() + "/" +
				  std::to_string(pid) + ".sock");
	}
};

TEST_F(Sockets, AProcessWithoutAWritableRuntimeDirectoryIsReachedOnItsAbstractSocket)
{
	if (run({"unshare", "-m", "-n", "/bin/true"}, 30).status != 0)
		GTEST_SKIP() << "needs unshare -m -n (root, mount and network namespaces)";
	Target ro = start_read_only_tmp({"-m"});
	Target ro_net = start_read_only_tmp({"-m", "-n"});
	for (Target *t : {&ro, &ro_net}) {
		ASSERT_EQ(t->read_line(), "main: old");
		// The runtime's log says where it listens, once it does.
		std::string log;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
		while (log.find("control socket") == std::string::npos &&
		       std::chrono::steady_clock::now() < deadline) {
			log = graft({"log", std::to_string(t->pid())}).out;
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		EXPECT_THAT(log, HasSubstr("control socket '@graft/"));
		EXPECT_THAT(log, HasSubstr("Read-only file system"));
		EXPECT_FALSE(has_socket_file(t->pid()));
	}
	CmdResult r = graft({"install", module("10-fix")});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	std::map<int, json> st = status_all();
	for (Target *t : {&ro, &ro_net}) {
		EXPECT_EQ(t->ask("call"), "call: fixed");
		EXPECT_EQ(st[t->pid()]["verdict"], "patched") << st[t->pid()].dump();
	}
	for (Target *t : {&ro, &ro_net}) {
		CmdResult r = graft({"disable", std::to_string(t->pid()), "10-fix"});
		EXPECT_EQ(r.status, 0) << r.out << r.err;
		EXPECT_EQ(t->ask("call"), "call: old");
	}
}

} // namespace
