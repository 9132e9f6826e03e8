// SPDX-License-Identifier: MIT
// optout.cpp - the opt-outs seen from the CLI (optout.hpp).
#include "optout.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "cli.hpp"
#include "conf/settings.hpp"
#include "proc_scan.hpp"

namespace graft::cli {
namespace {

// The rules of the policy file; the same safety rule as the runtime's (owned by root or
// our user, writable by nobody else), else a Failure that says how to fix it.
conf::OptOuts load()
{
	std::string path =
		conf::policy_path_from(getenv("GRAFT_POLICY"), getenv("GRAFT_CONFIG_DIR"));
	conf::OptOuts rules;
	rules.path = path;
	struct stat st;
	if (lstat(path.c_str(), &st) != 0)
		return rules; // no policy file: no exclusions
	auto refuse = [&](const std::string &what) {
		return Failure{kExitFailed, "policy " + path + ": " + what +
						    "; graft's runtimes stay inert while it is so"};
	};
	if (!S_ISREG(st.st_mode))
		throw refuse("not a regular file (a symbolic link is not followed)");
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		throw refuse("owned by uid " + std::to_string(st.st_uid) +
			     " or writable by others: chown root and chmod go-w it");
	std::string why;
	if (!conf::parse_optouts(read_text(path), path, &rules, &why))
		throw Failure{kExitFailed, why + " (fix that line)"};
	return rules;
}

std::string exe_of(pid_t pid)
{
	char buf[PATH_MAX];
	std::string link = "/proc/" + std::to_string(pid) + "/exe";
	ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
	std::string path = n > 0 ? std::string(buf, size_t(n)) : std::string();
	const std::string deleted = " (deleted)";
	if (path.size() > deleted.size() &&
	    path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
		path.resize(path.size() - deleted.size());
	return path;
}

// What the kernel told the process at exec (/proc/PID/auxv): where the path execve was
// given lies (AT_EXECFN) and whether it runs in secure execution (AT_SECURE).
struct Auxv {
	uint64_t execfn = 0;
	bool secure = false;
};

Auxv auxv_of(pid_t pid)
{
	std::string text = read_text("/proc/" + std::to_string(pid) + "/auxv");
	Auxv out;
	for (size_t at = 0; at + sizeof(Elf64_auxv_t) <= text.size(); at += sizeof(Elf64_auxv_t)) {
		Elf64_auxv_t a;
		memcpy(&a, text.data() + at, sizeof(a));
		if (a.a_type == AT_EXECFN)
			out.execfn = a.a_un.a_val;
		else if (a.a_type == AT_SECURE)
			out.secure = a.a_un.a_val != 0;
	}
	return out;
}

// The string at addr in pid's memory ("" when it cannot be read): AT_EXECFN's path, as
// the runtime reads it in itself (a script's own path).
std::string string_at(pid_t pid, uint64_t addr)
{
	std::string mem = "/proc/" + std::to_string(pid) + "/mem";
	int fd = addr ? open(mem.c_str(), O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return "";
	char buf[PATH_MAX] = {};
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, off_t(addr));
	close(fd);
	return n > 0 ? std::string(buf, strnlen(buf, size_t(n))) : std::string();
}

} // namespace

const conf::OptOuts &optouts()
{
	static const conf::OptOuts rules = load();
	return rules;
}

std::string excluded_why(pid_t pid, pid_t nspid, uid_t euid, bool *secure)
{
	const conf::OptOuts &rules = optouts();
	conf::ProcessFacts facts;
	facts.nspid = nspid;
	facts.euid = euid;
	facts.exe = exe_of(pid);
	Auxv auxv = auxv_of(pid);
	facts.execfn = string_at(pid, auxv.execfn);
	facts.secure = auxv.secure;
	if (secure)
		*secure = auxv.secure;
	if (!rules.units.empty())
		facts.cgroup = read_text("/proc/" + std::to_string(pid) + "/cgroup");
	return conf::excluded_why(facts, rules);
}

} // namespace graft::cli
