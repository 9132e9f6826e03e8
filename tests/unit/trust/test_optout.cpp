// SPDX-License-Identifier: MIT
// test_optout.cpp - the opt-out rules (conf/optout.hpp): parsing next to the policy's
// other settings, the built-in rules, exe globs by path and by file name, a script's own
// path, uids, and units found anywhere in a process's control group path.
#include <gtest/gtest.h>

#include "conf/optout.hpp"
#include "conf/settings.hpp"
#include "trust/policy.hpp"

namespace graft::conf {
namespace {

OptOuts parse(const std::string &text)
{
	OptOuts o;
	std::string why;
	EXPECT_TRUE(parse_optouts(text, "/etc/graft/graft.conf", &o, &why)) << why;
	return o;
}

ProcessFacts proc(const std::string &exe, uid_t euid = 1000)
{
	ProcessFacts p;
	p.nspid = 4242;
	p.euid = euid;
	p.exe = exe;
	return p;
}

TEST(OptOutRules, ParsedBesideThePolicysOtherSettingsWhichItLeavesToTrust)
{
	OptOuts o = parse("require_signature = no\nexclude_exe = /opt/av/*\nexclude_exe = clamd\n"
			  "exclude_uid = 1001\nexclude_unit = nginx\nexclude_unit = x.scope\n");
	EXPECT_EQ(o.exe_globs, (std::vector<std::string>{"/opt/av/*", "clamd"}));
	EXPECT_EQ(o.uids, (std::vector<uid_t>{1001}));
	EXPECT_EQ(o.units, (std::vector<std::string>{"nginx.service", "x.scope"}));
	trust::Policy p;
	std::string why;
	EXPECT_TRUE(trust::policy_parse("exclude_uid = 7\n", "/p", &p, &why)) << why;
	EXPECT_EQ(p.optouts.uids, (std::vector<uid_t>{7}));
}

TEST(OptOutRules, AMalformedRuleNamesTheLineForTheRuntimeAndTheTrustPolicyAlike)
{
	OptOuts o;
	std::string why;
	EXPECT_FALSE(parse_optouts("\nexclude_uid = bob\n", "/p", &o, &why));
	EXPECT_EQ(why, "policy /p line 2: exclude_uid: 'bob' is not a numeric uid");
	EXPECT_FALSE(parse_optouts("exclude_unit = a/b\n", "/p", &o, &why));
	EXPECT_FALSE(parse_optouts("exclude_exe =\n", "/p", &o, &why));
	EXPECT_EQ(why, "policy /p line 1: exclude_exe needs a value");
	trust::Policy p;
	EXPECT_FALSE(trust::policy_parse("exclude_uid = bob\n", "/p", &p, &why));
}

TEST(OptOutRules, BuiltInPidOneSecureExecutionAndTheGraftToolsWithoutAnyRule)
{
	OptOuts none;
	ProcessFacts init = proc("/usr/bin/myapp");
	init.nspid = 1;
	EXPECT_EQ(excluded_why(init, none), "PID 1 of its pid namespace (built in)");
	for (const char *tool : {"/usr/bin/graft", "/opt/x/bin/graft-patchgen"})
		EXPECT_EQ(excluded_why(proc(tool), none), "a graft tool (built in)") << tool;
	ProcessFacts setuid = proc("/usr/bin/sudo");
	setuid.secure = true;
	EXPECT_EQ(excluded_why(setuid, none),
		  "secure execution: setuid, setgid or file capabilities (built in)");
	ProcessFacts script = proc("/usr/bin/bash");
	script.execfn = "/usr/local/bin/graft-cc"; // a script: its own path is execve's
	EXPECT_EQ(excluded_why(script, none), "a graft tool (built in)");
	EXPECT_EQ(excluded_why(proc("/usr/bin/graftish"), none), "");
	EXPECT_EQ(excluded_why(proc("/usr/bin/bash"), none), "");
}

TEST(OptOutRules, ExeGlobsMatchThePathWithASlashAndTheFileNameWithout)
{
	OptOuts o = parse("exclude_exe = /opt/av/*\nexclude_exe = clam*\n");
	EXPECT_EQ(excluded_why(proc("/opt/av/bin/scan"), o),
		  "exclude_exe = /opt/av/* in /etc/graft/graft.conf");
	EXPECT_EQ(excluded_why(proc("/usr/sbin/clamd"), o),
		  "exclude_exe = clam* in /etc/graft/graft.conf");
	EXPECT_EQ(excluded_why(proc("/usr/sbin/nginx"), o), "");
	EXPECT_EQ(excluded_why(proc("/opt/avx/scan"), o), "");
}

TEST(OptOutRules, UidsAndUnitsAnywhereInTheControlGroupPath)
{
	OptOuts o = parse("exclude_uid = 0\nexclude_unit = nginx\n");
	EXPECT_NE(excluded_why(proc("/usr/sbin/app", 0), o), "");
	ProcessFacts helper = proc("/usr/sbin/helper");
	helper.cgroup = "0::/system.slice/nginx.service/workers\n";
	EXPECT_EQ(excluded_why(helper, o), "exclude_unit = nginx.service in /etc/graft/graft.conf");
	ProcessFacts v1 = proc("/usr/sbin/nginx");
	v1.cgroup = "12:cpu:/other\n1:name=systemd:/system.slice/nginx.service\n";
	EXPECT_NE(excluded_why(v1, o), "");
	ProcessFacts other = proc("/usr/sbin/nginx");
	other.cgroup = "0::/system.slice/nginx-extra.service\n5:cpu:/nginx.service\n";
	EXPECT_EQ(excluded_why(other, o), "");
}

TEST(OptOutRules, ThePolicyFileFollowsGraftPolicyThenGraftConfigDir)
{
	EXPECT_EQ(policy_path_from("/p.conf", "/c"), "/p.conf");
	EXPECT_EQ(policy_path_from(nullptr, "/c"), "/c/graft.conf");
	EXPECT_EQ(policy_path_from("", nullptr), "/etc/graft/graft.conf");
}

} // namespace
} // namespace graft::conf
