// SPDX-License-Identifier: MIT
// history.cpp - graft history PID: the process's audit records (security.md); with
// --all, the records of every selected process that has a runtime, merged in time order.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli.hpp"
#include "control/protocol.hpp"
#include "fleet.hpp"

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

// One record as a line; with_pid: the process's pid after the time (--all).
void print_record(const json &r, bool with_pid)
{
	std::string key = str(r, field::key), sha = str(r, field::sha256);
	std::string pid = with_pid ? std::to_string(num(r, field::pid)) + " " : "";
	std::printf("%s %s%-8s %-8s uid=%llu pid=%llu %s%s%s\n",
		    local_time(num(r, field::time_usec)).c_str(), pid.c_str(),
		    str(r, field::action).c_str(), str(r, field::patch).c_str(),
		    (unsigned long long)num(r, field::client_uid),
		    (unsigned long long)num(r, field::client_pid), str(r, field::result).c_str(),
		    sha.empty() ? "" : (" sha256=" + sha.substr(0, 16)).c_str(),
		    key.empty() ? "" : (" key=" + key).c_str());
}

// What one process answered: its records, or why it could not be read.
struct ProcessHistory {
	json records = json::array();
	std::string error;
};

ProcessHistory history_of(const ProcInfo &p)
{
	ProcessHistory h;
	try {
		json r = request_at(socket_of(p), p.pid, json{{field::cmd, control::cmd::history}},
				    kQueryTimeoutSec);
		if (flag(r, field::ok))
			h.records = array_of(r, field::records);
		else
			h.error = reply_error(r);
	} catch (const Failure &f) {
		h.error = f.message;
	}
	return h;
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
	for (const json &r : array_of(reply, field::records))
		print_record(r, false);
	return kExitOk;
}

int cmd_history_all(const Selector &sel, const Options &opt)
{
	std::vector<ProcInfo> procs = scan_selected(sel);
	procs.erase(std::remove_if(procs.begin(), procs.end(),
				   [](const ProcInfo &p) { return !p.has_runtime; }),
		    procs.end());
	std::vector<ProcessHistory> got(procs.size());
	parallel_for(procs.size(), sel.jobs, [&](size_t i) { got[i] = history_of(procs[i]); });
	json records = json::array(), processes = json::array();
	bool all_read = true;
	for (size_t i = 0; i < procs.size(); i++) {
		for (json &r : got[i].records)
			records.push_back(std::move(r));
		processes.push_back({{"pid", procs[i].pid},
				     {"comm", procs[i].comm},
				     {"records", got[i].records.size()},
				     {"error", got[i].error}});
		all_read &= got[i].error.empty();
	}
	// One trail in time order (then by process), as the system log would show it.
	std::stable_sort(records.begin(), records.end(), [](const json &a, const json &b) {
		return std::make_pair(num(a, field::time_usec), num(a, field::pid)) <
		       std::make_pair(num(b, field::time_usec), num(b, field::pid));
	});
	if (opt.json) {
		print_json({{"ok", all_read}, {"processes", processes}, {"records", records}});
		return all_read ? kExitOk : kExitFailed;
	}
	for (const json &r : records)
		print_record(r, true);
	for (size_t i = 0; i < procs.size(); i++)
		if (!got[i].error.empty())
			std::cerr << "graft: cannot read the history of " << procs[i].pid << " ("
				  << procs[i].comm << "): " << got[i].error << '\n';
	return all_read ? kExitOk : kExitFailed;
}

} // namespace graft::cli
