// SPDX-License-Identifier: MIT
// cgroup.cpp - `--unit NAME` and `--cgroup DIR` for the system-wide commands: the
// processes of a systemd unit are those of its control group (cgroup.procs of the
// unit's directory and of every group below it). The unit's directory is found by name
// in the cgroup hierarchies mounted here (the unified cgroup2 tree first, then the
// name=systemd v1 tree of a hybrid layout), so no running systemd is needed to ask.
#include "cgroup.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "conf/optout.hpp"

namespace graft::cli {
namespace {

constexpr int kMaxDepth = 8; // system.slice/a.slice/a-b.slice/... is never deeper

// Mount points of the cgroup2 tree and of the v1 name=systemd tree, in that order.
std::vector<std::string> cgroup_roots()
{
	std::ifstream in("/proc/self/mountinfo");
	std::string v2, v1;
	for (std::string line; std::getline(in, line);) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
		std::istringstream f(line);
		std::string skip, point, word;
		f >> skip >> skip >> skip >> skip >> point;
		while (f >> word && word != "-")
			;
		std::string fstype, source, super;
		f >> fstype >> source >> super;
		if (fstype == "cgroup2" && v2.empty())
			v2 = point;
		else if (fstype == "cgroup" && super.find("name=systemd") != std::string::npos &&
			 v1.empty())
			v1 = point;
	}
	std::vector<std::string> out;
	for (const std::string &r : {v2, v1})
		if (!r.empty())
			out.push_back(r);
	return out;
}

bool is_dir(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Calls fn on dir and every directory below it (not following links).
template <typename Fn> void walk(const std::string &dir, int depth, Fn &&fn)
{
	fn(dir);
	if (depth >= kMaxDepth)
		return;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return;
	std::vector<std::string> subs;
	while (dirent *e = readdir(d)) {
		std::string name = e->d_name;
		if (name != "." && name != ".." && is_dir(dir + "/" + name))
			subs.push_back(dir + "/" + name);
	}
	closedir(d);
	for (const std::string &s : subs)
		walk(s, depth + 1, fn);
}

std::string base_name(const std::string &path)
{
	return path.substr(path.rfind('/') + 1);
}

} // namespace

std::vector<std::string> unit_cgroups(const std::string &unit)
{
	std::string name = conf::unit_name(unit);
	std::vector<std::string> roots = cgroup_roots();
	if (roots.empty())
		throw Failure{
			kExitFailed,
			"--unit " + unit +
				": no cgroup hierarchy is mounted "
				"(no cgroup2 and no name=systemd tree in /proc/self/mountinfo)"};
	for (const std::string &root : roots) {
		std::vector<std::string> found;
		walk(root, 0, [&](const std::string &dir) {
			if (base_name(dir) == name)
				found.push_back(dir);
		});
		if (!found.empty())
			return found;
	}
	throw Failure{kExitFailed, "unit '" + name + "' has no control group under " + roots[0] +
					   ": it is not running (see systemctl status " + name +
					   ")"};
}

std::vector<pid_t> cgroup_pids(const std::string &dir)
{
	if (!is_dir(dir) || access((dir + "/cgroup.procs").c_str(), R_OK) != 0)
		throw Failure{kExitFailed, "'" + dir +
						   "' is not a control group directory (it has "
						   "no readable cgroup.procs)"};
	std::set<pid_t> pids;
	walk(dir, 0, [&](const std::string &d) {
		std::ifstream in(d + "/cgroup.procs");
		for (long pid; in >> pid;)
			if (pid > 0 && pid != getpid())
				pids.insert(pid_t(pid));
	});
	return {pids.begin(), pids.end()};
}

} // namespace graft::cli
