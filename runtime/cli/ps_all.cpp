// SPDX-License-Identifier: MIT
// ps_all.cpp - `graft ps --all`: every process this user may inspect (root: all),
// whether libgraft.so is mapped in it, and its patches when its runtime answers.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <dirent.h>
#include <unistd.h>

#include "attach.hpp"
#include "cli.hpp"
#include "control/protocol.hpp"

namespace graft::cli {
namespace {

struct Row {
	pid_t pid;
	bool runtime;
	int patches; // -1: the runtime does not answer
	std::string exe;
	bool on_demand = false; // mapped, control not started: no command reached it yet
};

std::string exe_of(pid_t pid)
{
	char buf[PATH_MAX];
	ssize_t n =
		readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof(buf) - 1);
	return n > 0 ? std::string(buf, size_t(n)) : "[" + comm_of(pid) + "]";
}

bool mine(pid_t pid)
{
	ProcStatus st;
	return read_status(pid, &st) && (geteuid() == 0 || st.uid == getuid());
}

Row row_of(pid_t pid)
{
	Row r{pid, read_maps(pid).has_runtime, -1, exe_of(pid)};
	if (!r.runtime)
		return r;
	if (!has_control_thread(pid)) {
		r.on_demand = true; // asking would start its control (attach.hpp)
		return r;
	}
	try {
		json info = request_at(control_socket_of(pid), pid,
				       json{{control::field::cmd, control::cmd::info}}, 2);
		if (info[control::field::ok].get<bool>())
			r.patches = info.value(control::field::patches, 0);
	} catch (const Failure &) {
	} catch (const json::exception &) {
	}
	return r;
}

} // namespace

int ps_all(const Options &opt)
{
	std::vector<Row> rows;
	DIR *d = opendir("/proc");
	while (d && (errno = 0, true)) {
		dirent *e = readdir(d);
		if (!e)
			break;
		pid_t pid = pid_t(atoi(e->d_name));
		if (pid > 0 && pid != getpid() && mine(pid))
			rows.push_back(row_of(pid));
	}
	if (d)
		closedir(d);
	std::sort(rows.begin(), rows.end(),
		  [](const Row &a, const Row &b) { return a.pid < b.pid; });
	if (opt.json) {
		json out = json::array();
		for (const Row &r : rows) {
			json j{{"pid", r.pid}, {"runtime", r.runtime}, {"exe", r.exe}};
			if (r.runtime)
				j["control"] = r.on_demand ? "on-demand" : "started";
			if (r.patches >= 0)
				j["patches"] = r.patches;
			out.push_back(j);
		}
		print_json(json{{"ok", true}, {"processes", out}});
		return kExitOk;
	}
	std::printf("%7s %9s %7s  %s\n", "PID", "RUNTIME", "PATCHES", "EXE");
	for (const Row &r : rows)
		std::printf("%7d %9s %7s  %s\n", int(r.pid),
			    r.on_demand ? "on-demand"
			    : r.runtime ? "yes"
					: "-",
			    r.patches >= 0 ? std::to_string(r.patches).c_str() : "-",
			    r.exe.c_str());
	return kExitOk;
}

} // namespace graft::cli
