// SPDX-License-Identifier: MIT
// test_policy.cpp - graft.conf: settings, defaults, the auto rule, and refusals of a
// malformed file that name the line, and which file is read.
#include <gtest/gtest.h>

#include <cstdlib>

#include "trust/policy.hpp"

namespace graft::trust {
namespace {

TEST(Policy, ParsesEverySetting)
{
	Policy p;
	std::string why;
	ASSERT_TRUE(policy_parse("# comment\nrequire_signature = yes\nkeys_dir = /k\n"
				 "revoked_keys = 98c04c8afb125dcb, AB\n"
				 "revoked_hashes = ABCD\nread_only_users = root, 1001 # x\n",
				 "/etc/graft/graft.conf", &p, &why))
		<< why;
	EXPECT_EQ(p.require, Require::yes);
	EXPECT_EQ(p.keys_dir, "/k");
	EXPECT_EQ(p.revoked_keys, (std::set<std::string>{"98C04C8AFB125DCB", "AB"}));
	EXPECT_EQ(p.revoked_hashes, (std::set<std::string>{"abcd"}));
	EXPECT_EQ(p.read_only_uids, (std::set<uid_t>{0, 1001}));
}

TEST(Policy, DefaultsRequireSignaturesOfNonRootAndTheSystemStore)
{
	Policy p;
	std::string why;
	ASSERT_TRUE(policy_parse("", "/x/graft.conf", &p, &why));
	EXPECT_EQ(p.keys_dir, "/x/keys.d");
	EXPECT_FALSE(signature_required(p, 0, false));
	EXPECT_TRUE(signature_required(p, 1000, false));
	EXPECT_TRUE(signature_required(p, 0, true));
	p.require = Require::no;
	EXPECT_FALSE(signature_required(p, 1000, true));
	p.require = Require::yes;
	EXPECT_TRUE(signature_required(p, 0, false));
}

TEST(Policy, MalformedLineIsNamed)
{
	Policy p;
	std::string why;
	EXPECT_FALSE(policy_parse("require_signature = yes\nrequire_signature = maybe\n", "/p", &p,
				  &why));
	EXPECT_EQ(why, "policy /p line 2: require_signature must be yes, no or auto");
	EXPECT_FALSE(policy_parse("colour = red\n", "/p", &p, &why));
	EXPECT_EQ(why, "policy /p line 1: unknown setting 'colour'");
	EXPECT_FALSE(policy_parse("keys_dir = rel\n", "/p", &p, &why));
	EXPECT_FALSE(policy_parse("just words\n", "/p", &p, &why));
	EXPECT_EQ(why, "policy /p line 1: expected 'key = value'");
}

TEST(Policy, MissingFileIsTheDefaults)
{
	Policy p;
	std::string why;
	ASSERT_TRUE(policy_load("/nonexistent/graft.conf", 0, &p, &why)) << why;
	EXPECT_EQ(p.require, Require::automatic);
	EXPECT_EQ(p.keys_dir, "/nonexistent/keys.d");
}

// GRAFT_POLICY names the file; else GRAFT_CONFIG_DIR (the kill switch's directory) moves
// it with the rest of /etc/graft; else /etc/graft/graft.conf.
TEST(Policy, PathFollowsGraftPolicyThenTheConfigDir)
{
	unsetenv("GRAFT_POLICY");
	unsetenv("GRAFT_CONFIG_DIR");
	EXPECT_EQ(policy_path(), "/etc/graft/graft.conf");
	setenv("GRAFT_CONFIG_DIR", "/srv/conf", 1);
	EXPECT_EQ(policy_path(), "/srv/conf/graft.conf");
	setenv("GRAFT_POLICY", "/tmp/p.conf", 1);
	EXPECT_EQ(policy_path(), "/tmp/p.conf");
	unsetenv("GRAFT_POLICY");
	unsetenv("GRAFT_CONFIG_DIR");
}

} // namespace
} // namespace graft::trust
