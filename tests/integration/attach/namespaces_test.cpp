// SPDX-License-Identifier: MIT
// namespaces_test.cpp - targets that see another filesystem: a mount namespace with a
// private /tmp (where the control socket then lives, reached through /proc/PID/root),
// and a chroot that cannot see libgraft.so's path (the runtime is passed in a memfd).
#include "attach_test.hpp"

#include <filesystem>

#include <unistd.h>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

bool have(const char *tool)
{
	return access(tool, X_OK) == 0;
}

// Root in a place that may make mount namespaces (not in an unprivileged container).
bool can_unshare()
{
	return geteuid() == 0 && have("/usr/bin/unshare") &&
	       run({"/usr/bin/unshare", "-m", "/bin/true"}, 30).status == 0;
}

void attach_and_patch(Target &t)
{
	ASSERT_EQ(t.read_line(), "ready");
	std::string pid = std::to_string(t.pid());
	EXPECT_EQ(t.ask("answer"), "answer 1");
	CmdResult r = run_graft({"attach", pid});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	r = run_graft({"load", pid, patch_file()});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(t.ask("answer"), "answer 2");
	EXPECT_EQ(t.ask("errors"), "eintr 0 short 0");
	std::string who;
	EXPECT_TRUE(untraced(t.pid(), &who)) << who;
}

TEST(AttachNamespaces, APrivateTmpInAnotherMountNamespace)
{
	if (!can_unshare())
		GTEST_SKIP() << "needs root and unshare -m";
	RuntimeDir dir; // under /tmp: the target's /tmp is another, empty one
	std::string cmd = private_tmp_then(service_path() + " " + att_dir());
	Target t(Target::Direct{}, "/usr/bin/unshare", {"-m", "/bin/sh", "-c", cmd});
	attach_and_patch(t);
	EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + std::to_string(t.pid()) + ".sock"))
		<< "the socket must be in the target's own /tmp";
}

TEST(AttachNamespaces, AChrootThatCannotSeeTheRuntimeLibrary)
{
	if (!can_unshare() || !have("/usr/sbin/chroot"))
		GTEST_SKIP() << "needs root, unshare -m and chroot";
	RuntimeDir dir;
	std::string root = dir.path() + "/root";
	namespace fs = std::filesystem;
	for (const char *d : {"usr", "proc", "tmp", "svc"})
		fs::create_directories(root + "/" + d);
	for (const char *l : {"lib", "lib64", "bin"})
		fs::create_symlink(std::string("usr/") + l, root + "/" + l);
	for (const char *f : {"attach-service", "libattach-plug.so", "libattach-churn.so"})
		fs::copy_file(att_dir() + "/" + f, root + "/svc/" + f);
	// The runtime opens a patch by the path graft resolved, in its own view: the
	// patch must exist at the same path inside the chroot.
	fs::create_directories(root + fs::path(patch_file()).parent_path().string());
	fs::copy_file(patch_file(), root + patch_file());
	std::string cmd = "mount --rbind /usr " + root + "/usr && mount -t proc proc " + root +
			  "/proc && exec /usr/sbin/chroot " + root + " /svc/attach-service /svc";
	Target t(Target::Direct{}, "/usr/bin/unshare", {"-m", "/bin/sh", "-c", cmd});
	attach_and_patch(t);
	EXPECT_EQ(t.ask("lib"), "lib 200");
	std::ifstream maps("/proc/" + std::to_string(t.pid()) + "/maps");
	std::string text((std::istreambuf_iterator<char>(maps)), {});
	EXPECT_NE(text.find("/memfd:libgraft.so"), std::string::npos)
		<< "the runtime must have come in a memfd";
}

} // namespace
