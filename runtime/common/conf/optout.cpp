// SPDX-License-Identifier: MIT
// optout.cpp - which processes graft stays out of (optout.hpp).
#include "text/split.hpp"
#include "conf/optout.hpp"

#include <fnmatch.h>

#include "conf/settings.hpp"

namespace graft::conf {
namespace {

// The programs of graft itself: patching them would let graft change the code that
// patches (graft-cc is a shell script: its own path is execve's, AT_EXECFN).
constexpr const char *kTools[] = {"graft", "graft-patchgen", "graft-cc", "graft-c++"};

std::string file_name(const std::string &path)
{
	return path.substr(path.rfind('/') + 1);
}

bool is_tool(const std::string &path)
{
	for (const char *tool : kTools)
		if (!path.empty() && file_name(path) == tool)
			return true;
	return false;
}

bool exe_matches(const std::string &glob, const std::string &exe)
{
	if (exe.empty())
		return false;
	const std::string &subject = glob.find('/') == std::string::npos ? file_name(exe) : exe;
	return fnmatch(glob.c_str(), subject.c_str(), 0) == 0;
}

// Whether unit is a component of the process's control group path, in the cgroup2
// tree ("0::/system.slice/x.service") or the v1 name=systemd tree: a unit's helpers in
// groups below it belong to it.
bool in_unit(const std::string &cgroup, const std::string &unit)
{
	for (const std::string &line : text::split(cgroup, '\n')) {
		size_t a = line.find(':'), b = line.find(':', a + 1);
		if (a == std::string::npos || b == std::string::npos)
			continue;
		std::string hier = line.substr(0, a), ctrl = line.substr(a + 1, b - a - 1);
		if (hier != "0" && ctrl != "name=systemd")
			continue;
		for (const std::string &part : text::split(line.substr(b + 1), '/'))
			if (part == unit)
				return true;
	}
	return false;
}

std::string rule(const char *key, const std::string &value, const OptOuts &rules)
{
	return std::string(key) + " = " + value + " in " + rules.path;
}

} // namespace

bool is_optout_key(const std::string &key)
{
	return key == "exclude_exe" || key == "exclude_uid" || key == "exclude_unit";
}

bool add_optout(const std::string &key, const std::string &value, OptOuts *out,
		std::string *problem)
{
	if (value.empty())
		return *problem = key + " needs a value", false;
	if (key == "exclude_exe") {
		out->exe_globs.push_back(value);
	} else if (key == "exclude_uid") {
		if (value.find_first_not_of("0123456789") != std::string::npos || value.size() > 10)
			return *problem = "exclude_uid: '" + value + "' is not a numeric uid",
			       false;
		out->uids.push_back(uid_t(std::stoul(value)));
	} else if (key == "exclude_unit") {
		if (value.find('/') != std::string::npos)
			return *problem = "exclude_unit: '" + value +
					  "' is not a unit name (no '/'; e.g. nginx.service)",
			       false;
		out->units.push_back(unit_name(value));
	} else {
		return *problem = "unknown setting '" + key + "'", false;
	}
	return true;
}

bool parse_optouts(const std::string &text, const std::string &path, OptOuts *out, std::string *why)
{
	*out = OptOuts{};
	out->path = path;
	return parse_settings(
		text, path,
		[out](const std::string &key, const std::string &value, std::string *problem) {
			return !is_optout_key(key) || add_optout(key, value, out, problem);
		},
		why);
}

std::string unit_name(const std::string &unit)
{
	return unit.find('.') == std::string::npos ? unit + ".service" : unit;
}

std::string excluded_why(const ProcessFacts &p, const OptOuts &rules)
{
	// Built in: the whole namespace dies with its PID 1, so a fault there would end
	// every process of it (the machine's init: a kernel panic).
	if (p.nspid == 1)
		return "PID 1 of its pid namespace (built in)";
	// Its environment and its caller are not to be trusted: no orders from a socket.
	if (p.secure)
		return "secure execution: setuid, setgid or file capabilities (built in)";
	if (is_tool(p.exe) || is_tool(p.execfn))
		return "a graft tool (built in)";
	for (const std::string &glob : rules.exe_globs)
		if (exe_matches(glob, p.exe) || exe_matches(glob, p.execfn))
			return rule("exclude_exe", glob, rules);
	for (uid_t uid : rules.uids)
		if (p.euid == uid)
			return rule("exclude_uid", std::to_string(uid), rules);
	for (const std::string &unit : rules.units)
		if (in_unit(p.cgroup, unit))
			return rule("exclude_unit", unit, rules);
	return "";
}

} // namespace graft::conf
