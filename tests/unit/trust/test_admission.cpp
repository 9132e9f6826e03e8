// SPDX-License-Identifier: MIT
// test_admission.cpp - the ptrace rule on this process's real credentials (/proc, prctl,
// auxv), varied one fact at a time: Yama's scope cannot be changed here without
// affecting the whole machine, so scope 1 is the real facts with that one field set.
#include <gtest/gtest.h>

#include <fstream>

#include <unistd.h>

#include "os/creds.hpp"
#include "trust/admission.hpp"

namespace graft::trust {
namespace {

// The facts of this process, as if it ran as uid/gid 1000 (a user's process).
os::ProcessCreds as_user(os::ProcessCreds c)
{
	c.ruid = c.euid = c.suid = 1000;
	c.rgid = c.egid = c.sgid = 1000;
	return c;
}

TEST(Admission, RealFactsOfThisProcess)
{
	os::ProcessCreds c = os::own_creds();
	EXPECT_EQ(c.euid, geteuid());
	EXPECT_TRUE(c.dumpable);
	EXPECT_FALSE(c.secure);
	std::ifstream yama("/proc/sys/kernel/yama/ptrace_scope");
	int scope = -1;
	if (!(yama >> scope))
		scope = -1;
	EXPECT_EQ(c.yama_scope, scope);
	EXPECT_EQ(admission_refusal(0, 0, c), "") << "root is always served";
}

TEST(Admission, SameUserServedOnlyWhereTheKernelWouldLetItPtrace)
{
	os::ProcessCreds c = as_user(os::own_creds());
	c.yama_scope = 0;
	EXPECT_EQ(admission_refusal(1000, 1000, c), "");
	c.yama_scope = -1; // no Yama
	EXPECT_EQ(admission_refusal(1000, 1000, c), "");
	EXPECT_NE(admission_refusal(1001, 1000, c).find("it runs as uid 1000"), std::string::npos);
	EXPECT_NE(admission_refusal(1000, 1001, c).find("group ids"), std::string::npos);

	os::ProcessCreds y1 = c;
	y1.yama_scope = 1;
	EXPECT_EQ(
		admission_refusal(1000, 1000, y1),
		"permission denied: uid 1000 may not control this process (policy): Yama "
		"ptrace_scope is 1, so the kernel would refuse its user ptrace too; only root may");
	EXPECT_EQ(admission_refusal(0, 0, y1), "");

	os::ProcessCreds nd = c;
	nd.dumpable = false;
	EXPECT_NE(admission_refusal(1000, 1000, nd).find("not dumpable"), std::string::npos);
	os::ProcessCreds sec = c;
	sec.secure = true;
	EXPECT_NE(admission_refusal(1000, 1000, sec).find("secure execution"), std::string::npos);
	os::ProcessCreds setuid = c;
	setuid.suid = 0;
	EXPECT_NE(admission_refusal(1000, 1000, setuid).find("changed ids"), std::string::npos);
}

TEST(Admission, YamaScopeIsRead)
{
	char path[] = "/tmp/graft-yama-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "2\n", 2), 2);
	close(fd);
	EXPECT_EQ(os::read_yama_scope(path), 2);
	unlink(path);
	EXPECT_EQ(os::read_yama_scope(path), -1);
}

} // namespace
} // namespace graft::trust
