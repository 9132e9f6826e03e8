// SPDX-License-Identifier: MIT
// commands.cpp - graft load / enable / disable / unload / ps: one request each (then
// waiting for the transition it started), and how their results are worded.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach.hpp"
#include "control/protocol.hpp"
#include "sign.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;

std::string absolute_patch_path(const std::string &file)
{
	char real[PATH_MAX];
	if (realpath(file.c_str(), real))
		return real;
	if (errno == ENOENT || errno == ENOTDIR)
		throw Failure{kExitFailed, "patch file '" + file + "' does not exist"};
	throw Failure{kExitFailed, "cannot resolve patch file '" + file + "': " + strerror(errno)};
}

// Prints the reply (--json) or the success line; throws the worded failure otherwise.
int finish(const json &reply, const Options &opt, const std::string &failed_what,
	   const std::string &done)
{
	if (opt.json)
		print_json(reply);
	if (!reply[field::ok].get<bool>()) {
		std::cerr << "graft: " << failed_what << ": " << reply_error(reply) << '\n';
		return kExitFailed;
	}
	if (!opt.json)
		std::cout << done << '\n';
	return kExitOk;
}

bool nobody_listens(const std::string &path)
{
	sockaddr_un addr{};
	if (path.size() >= sizeof(addr.sun_path))
		return false;
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	int r = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
	bool refused = r != 0 && errno == ECONNREFUSED;
	close(fd);
	return refused;
}

struct PsRow {
	pid_t pid;
	std::string exe;
	int patches;
	std::string version;
};

// The live runtimes in dir; stale sockets of dead processes are removed on the way.
std::vector<PsRow> scan_runtimes(const std::string &dir)
{
	std::vector<PsRow> rows;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return rows;
	while (dirent *e = readdir(d)) {
		pid_t pid = control::pid_of_socket_name(e->d_name);
		if (pid <= 0)
			continue;
		std::string path = dir + "/" + e->d_name;
		if (!process_alive(pid)) {
			// Left by a process killed before it could remove it. Only if nobody
			// listens: the pid may live in another pid namespace.
			if (nobody_listens(path))
				unlink(path.c_str());
			continue;
		}
		try {
			json info = request_at(path, pid, json{{field::cmd, control::cmd::info}},
					       kQueryTimeoutSec);
			if (!info[field::ok].get<bool>())
				continue;
			rows.push_back(PsRow{pid, info.value(field::exe, std::string()),
					     info.value(field::patches, 0),
					     info.value(field::runtime_version, std::string())});
		} catch (const Failure &) {
			// Not answering (another pid namespace, a stale socket of a reused pid).
		} catch (const json::exception &) {
		}
	}
	closedir(d);
	std::sort(rows.begin(), rows.end(),
		  [](const PsRow &a, const PsRow &b) { return a.pid < b.pid; });
	return rows;
}

} // namespace

int cmd_load(pid_t pid, const std::string &file, bool enable, const Options &opt)
{
	std::string path = absolute_patch_path(file);
	InjectStats attached;
	if (opt.attach && attach_process(pid, opt.timeout_sec, &attached) && !opt.json)
		std::cout << "attached to process " << pid << '\n';
	// The process verifies and maps this very descriptor (security.md).
	PatchFile patch;
	json reply = request(pid, load_request(path, enable, &patch), opt.timeout_sec, patch.fd);
	std::string name = reply.value(field::name, control::patch_name_of(path));
	std::string failed = "cannot load '" + path + "' into " + std::to_string(pid);
	std::string done = "loaded patch '" + name + "' into " + std::to_string(pid) +
			   (enable ? " and enabled it" : " (not enabled)");
	if (!enable || !reply[field::ok].get<bool>())
		return finish(reply, opt, failed, done);
	return finish_transition(pid, name, "patching", reply, done, opt);
}

int cmd_named(const std::string &verb, pid_t pid, const std::string &name, const Options &opt)
{
	json reply = request(pid, json{{field::cmd, verb}, {field::name, name}}, opt.timeout_sec);
	std::string where =
		(verb == control::cmd::unload ? " from " : " in ") + std::to_string(pid);
	std::string past = verb == control::cmd::enable	   ? "enabled"
			   : verb == control::cmd::disable ? "disabled"
							   : "unloaded";
	std::string failed = "cannot " + verb + " '" + name + "'" + where;
	std::string done = past + " patch '" + name + "'" + where;
	// Unloading starts no transition (the runtime refuses it for an enabled patch).
	if (verb == control::cmd::unload || !reply[field::ok].get<bool>())
		return finish(reply, opt, failed, done);
	std::string doing = verb == control::cmd::enable ? "patching" : "unpatching";
	return finish_transition(pid, name, doing, reply, done, opt);
}

int cmd_ps(const Options &opt, bool all)
{
	if (all)
		return ps_all(opt);
	std::string dir = control::runtime_dir();
	std::vector<PsRow> rows = scan_runtimes(dir);
	if (opt.json) {
		json out = json::array();
		for (const PsRow &r : rows)
			out.push_back(json{{field::pid, r.pid},
					   {field::exe, r.exe},
					   {field::patches, r.patches},
					   {field::runtime_version, r.version}});
		print_json(json{{field::ok, true}, {"processes", out}});
		return kExitOk;
	}
	if (rows.empty()) {
		std::cout << "no process has the graft runtime (looked in " << dir << ")\n";
		return kExitOk;
	}
	std::printf("%7s %7s  %s\n", "PID", "PATCHES", "EXE");
	for (const PsRow &r : rows)
		std::printf("%7d %7d  %s\n", int(r.pid), r.patches, r.exe.c_str());
	return kExitOk;
}

} // namespace graft::cli
