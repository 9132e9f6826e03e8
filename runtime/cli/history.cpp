// SPDX-License-Identifier: MIT
// history.cpp - graft history PID: the process's audit records (security.md).
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli.hpp"
#include "control/protocol.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;

std::string local_time(uint64_t usec)
{
	time_t t = time_t(usec / 1000000);
	tm parts{};
	localtime_r(&t, &parts);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &parts);
	return buf;
}

} // namespace

int cmd_history(pid_t pid, const Options &opt)
{
	json reply = request(pid, json{{field::cmd, control::cmd::history}}, kQueryTimeoutSec);
	if (opt.json) {
		print_json(reply);
		return flag(reply, field::ok) ? kExitOk : kExitFailed;
	}
	if (!flag(reply, field::ok)) {
		std::cerr << "graft: cannot read the history of " << pid << ": "
			  << reply_error(reply) << '\n';
		return kExitFailed;
	}
	for (const json &r : array_of(reply, field::records)) {
		std::string key = str(r, field::key), sha = str(r, field::sha256);
		std::printf("%s %-8s %-8s uid=%llu pid=%llu %s%s%s%s\n",
			    local_time(num(r, field::time_usec)).c_str(),
			    str(r, field::action).c_str(), str(r, field::patch).c_str(),
			    (unsigned long long)num(r, field::client_uid),
			    (unsigned long long)num(r, field::client_pid),
			    str(r, field::result).c_str(),
			    sha.empty() ? "" : (" sha256=" + sha.substr(0, 16)).c_str(),
			    key.empty() ? "" : (" key=" + key).c_str(), "");
	}
	return kExitOk;
}

} // namespace graft::cli
