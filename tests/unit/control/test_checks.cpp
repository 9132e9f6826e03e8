// SPDX-License-Identifier: MIT
// test_checks.cpp - peer uid decision, patch-file checks, runtime directory checks.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "control/checks.hpp"
#include "control/protocol.hpp"
#include "test_util.hpp"

namespace graft::control {
namespace {

using test::TempDir;

TEST(PeerCheck, SameUserOrRootOnly)
{
	EXPECT_TRUE(peer_allowed(1000, 1000));
	EXPECT_TRUE(peer_allowed(0, 1000));
	EXPECT_TRUE(peer_allowed(0, 0));
	EXPECT_FALSE(peer_allowed(1001, 1000));
	EXPECT_FALSE(peer_allowed(1000, 0));
	EXPECT_NE(peer_refusal(1001, 1000).find("uid 1001"), std::string::npos);
}

TEST(PatchFile, AcceptsPrivateFileOfRootOrProcessUser)
{
	TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	EXPECT_TRUE(check_patch_file(f, geteuid()).ok);
	// Owned by root (when we are root) is fine for any process user; else ours is.
	if (geteuid() == 0) {
		EXPECT_TRUE(check_patch_file(f, 1000).ok);
	}
	EXPECT_TRUE(check_patch_file(dir.file("ro.so", 0400), geteuid()).ok);
}

TEST(PatchFile, RelativePathRefused)
{
	core::Result r = check_patch_file("fix.so", geteuid());
	EXPECT_FALSE(r.ok);
	EXPECT_EQ(r.error, "patch file 'fix.so' is not an absolute path");
}

TEST(PatchFile, MissingFileRefused)
{
	TempDir dir;
	core::Result r = check_patch_file(dir.path + "/nope.so", geteuid());
	EXPECT_FALSE(r.ok);
	EXPECT_EQ(r.error, "patch file '" + dir.path + "/nope.so' does not exist");
}

TEST(PatchFile, DirectoryRefused)
{
	TempDir dir;
	core::Result r = check_patch_file(dir.path, geteuid());
	EXPECT_FALSE(r.ok);
	EXPECT_NE(r.error.find("is a directory"), std::string::npos) << r.error;
}

TEST(PatchFile, WorldWritableRefusedWithFix)
{
	TempDir dir;
	std::string f = dir.file("fix.so", 0646);
	core::Result r = check_patch_file(f, geteuid());
	EXPECT_FALSE(r.ok);
	EXPECT_EQ(r.error, "patch file '" + f + "' is writable by others: chmod go-w it");
}

TEST(PatchFile, GroupWritableRefused)
{
	TempDir dir;
	core::Result r = check_patch_file(dir.file("fix.so", 0664), geteuid());
	EXPECT_FALSE(r.ok);
	EXPECT_NE(r.error.find("writable by its group: chmod g-w it"), std::string::npos);
	r = check_patch_file(dir.file("all.so", 0666), geteuid());
	EXPECT_NE(r.error.find("writable by group and others: chmod go-w it"), std::string::npos);
}

TEST(PatchFile, OtherOwnerRefused)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root to chown a file to another user";
	TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	ASSERT_EQ(chown(f.c_str(), 12345, 12345), 0);
	core::Result r = check_patch_file(f, 0);
	EXPECT_FALSE(r.ok);
	EXPECT_NE(r.error.find("owned by uid 12345"), std::string::npos) << r.error;
	EXPECT_NE(r.error.find("chown"), std::string::npos);
	// The owner's own processes may load it.
	EXPECT_TRUE(check_patch_file(f, 12345).ok);
	// Neither root nor the owner: refused for a process of a third user.
	EXPECT_FALSE(check_patch_file(f, 777).ok);
}

TEST(PatchFile, SymlinkJudgedByItsTarget)
{
	TempDir dir;
	std::string bad = dir.file("bad.so", 0666);
	std::string link = dir.path + "/link.so";
	ASSERT_EQ(symlink(bad.c_str(), link.c_str()), 0);
	EXPECT_FALSE(check_patch_file(link, geteuid()).ok);
}

TEST(RuntimeDir, CreatedPrivate)
{
	TempDir dir;
	std::string d = dir.path + "/graft";
	std::string why;
	ASSERT_TRUE(ensure_runtime_dir(d, geteuid(), &why)) << why;
	struct stat st;
	ASSERT_EQ(stat(d.c_str(), &st), 0);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0700u);
	EXPECT_TRUE(ensure_runtime_dir(d, geteuid(), &why)) << "existing, private: fine";
}

TEST(RuntimeDir, LooseModeRefused)
{
	TempDir dir;
	chmod(dir.path.c_str(), 0755);
	std::string why;
	EXPECT_FALSE(ensure_runtime_dir(dir.path, geteuid(), &why));
	EXPECT_NE(why.find("mode 0755"), std::string::npos) << why;
	EXPECT_NE(why.find("chmod 700"), std::string::npos) << why;
}

TEST(RuntimeDir, OtherOwnerRefused)
{
	TempDir dir;
	std::string why;
	// The directory is ours; claim to be someone else.
	EXPECT_FALSE(ensure_runtime_dir(dir.path, geteuid() + 1, &why));
	EXPECT_NE(why.find("belongs to uid"), std::string::npos) << why;
}

TEST(RuntimeDir, SymlinkFileAndRelativeRefused)
{
	TempDir dir;
	std::string link = dir.path + "/link";
	ASSERT_EQ(symlink(dir.path.c_str(), link.c_str()), 0);
	std::string why;
	EXPECT_FALSE(ensure_runtime_dir(link, geteuid(), &why));
	EXPECT_NE(why.find("not a directory"), std::string::npos) << why;
	EXPECT_FALSE(ensure_runtime_dir(dir.file("f", 0600), geteuid(), &why));
	EXPECT_FALSE(ensure_runtime_dir("relative/dir", geteuid(), &why));
	EXPECT_FALSE(ensure_runtime_dir(dir.path + "/missing/parent", geteuid(), &why));
	EXPECT_NE(why.find("cannot create"), std::string::npos) << why;
}

TEST(Protocol, RuntimeDirResolution)
{
	EXPECT_EQ(runtime_dir_from("/g", "/run/user/7", 7), "/g");
	EXPECT_EQ(runtime_dir_from("", "/run/user/7", 7), "/run/user/7/graft");
	EXPECT_EQ(runtime_dir_from(nullptr, nullptr, 7), "/tmp/graft-7");
	EXPECT_EQ(runtime_dir_from(nullptr, "", 0), "/tmp/graft-0");
	EXPECT_EQ(socket_path("/d", 42), "/d/42.sock");
}

TEST(Protocol, SocketNamesAndPatchNames)
{
	EXPECT_EQ(pid_of_socket_name("1234.sock"), 1234);
	EXPECT_EQ(pid_of_socket_name(".sock"), -1);
	EXPECT_EQ(pid_of_socket_name("12a.sock"), -1);
	EXPECT_EQ(pid_of_socket_name("0123.sock"), -1);
	EXPECT_EQ(pid_of_socket_name("1234.sockx"), -1);
	EXPECT_EQ(pid_of_socket_name("99999999999.sock"), -1);
	EXPECT_EQ(patch_name_of("/a/b/fix.so"), "fix");
	EXPECT_EQ(patch_name_of("fix"), "fix");
	EXPECT_EQ(patch_name_of("/x/.so"), ".so");
}

} // namespace
} // namespace graft::control
