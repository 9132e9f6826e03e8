// SPDX-License-Identifier: MIT
// optout.cpp - the runtime's side of the opt-outs (optout.hpp).
#include "trust/optout.hpp"

#include <cstdlib>

#include <unistd.h>

#include "conf/optout.hpp"
#include "conf/settings.hpp"
#include "os/files.hpp"
#include "os/identity.hpp"

namespace graft::trust {
namespace {

std::string why_excluded()
{
	conf::ProcessFacts facts;
	facts.nspid = getpid(); // in this process's own pid namespace
	facts.euid = geteuid();
	facts.exe = os::self_exe_path();
	facts.execfn = os::self_execfn();
	facts.secure = os::self_secure();
	conf::OptOuts rules;
	// The built-in rules first: they need no file.
	std::string why = conf::excluded_why(facts, rules);
	if (!why.empty())
		return why;
	std::string path = conf::policy_path_from(secure_getenv("GRAFT_POLICY"),
						  secure_getenv("GRAFT_CONFIG_DIR"));
	std::string text, problem;
	os::FileRead r = os::read_trusted_file(path, facts.euid, 64 * 1024, &text, &problem);
	if (r == os::FileRead::missing)
		return "";
	if (r != os::FileRead::ok || !conf::parse_optouts(text, path, &rules, &problem))
		return "its opt-outs cannot be read: " + problem;
	if (!rules.units.empty())
		facts.cgroup = os::self_cgroup();
	return conf::excluded_why(facts, rules);
}

} // namespace

std::string excluded_here()
{
	try {
		return why_excluded();
	} catch (...) {
		return "out of memory while reading its opt-outs";
	}
}

} // namespace graft::trust
