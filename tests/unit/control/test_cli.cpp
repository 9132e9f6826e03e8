// SPDX-License-Identifier: MIT
// test_cli.cpp - the built `graft` command against this process's real control server
// (fake core): what it prints, its exit codes, timeouts, a process dying mid-request,
// `graft run`'s environment. Skipped when the CLI has not been built.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "../../../runtime/cli/elf_deps.hpp"
#include "cli_util.hpp"
#include "fake_core.hpp"
#include "server_util.hpp"

namespace graft::control {
namespace {

using json = nlohmann::json;
using test::Cli;
using test::CliRun;
using test::kCli;
using test::run_cli;

TEST_F(Cli, ListTableAndJson)
{
	core::FuncView f{"do_work", 0, 0x401000, 0x7f0000001000, "patchable", true, true};
	core::FuncView g{"helper", 2, 0, 0, "", false, false};
	test::fake().patches = {core::PatchView{"fix",
						"/p/fix.so",
						true,
						"",
						{core::ObjectView{"demo", true, true, {f, g}}},
						false,
						false,
						1},
				core::PatchView{"old", "/p/old.so", false, "", {}, false, true, 0},
				core::PatchView{"cum", "/p/cum.so", true, "", {}, true, false, 2}};
	CliRun r = run_cli("list " + pid);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("fix  (enabled, stack order 1)  /p/fix.so"), std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("old  (replaced)  /p/old.so"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("cum  (enabled, replace, stack order 2)  /p/cum.so"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("object demo  (loaded, patched)"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("do_work"), std::string::npos);
	EXPECT_NE(r.out.find("active"), std::string::npos);
	EXPECT_NE(r.out.find("0x401000"), std::string::npos);
	r = run_cli("list " + pid + " --json");
	EXPECT_EQ(r.status, 0);
	json j = json::parse(r.out);
	EXPECT_EQ(j["patches"][0]["objects"][0]["funcs"][1]["sympos"], 2);
	EXPECT_TRUE(r.err.empty());
}

TEST_F(Cli, LoadPassesAbsolutePathAndWordsFailures)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	std::string rel = std::filesystem::relative(f).string();
	CliRun r = run_cli("load " + pid + " " + rel);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "loaded patch 'fix' into " + pid + " and enabled it\n");
	EXPECT_EQ(test::fake_calls(), (std::vector<std::string>{"load " + f + " 1", "status"}));

	test::fake().result = core::Result::fail("symbol 'foo' not found in symbol table");
	r = run_cli("load " + pid + " " + f + " --no-enable");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: cannot load '" + f + "' into " + pid +
				 ": symbol 'foo' not found in symbol table\n");
	EXPECT_TRUE(r.out.empty());
	r = run_cli("--json load " + pid + " " + f);
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(json::parse(r.out)["ok"], false);
}

TEST_F(Cli, NamedCommands)
{
	CliRun r = run_cli("enable " + pid + " fix");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "enabled patch 'fix' in " + pid + "\n");
	r = run_cli("disable " + pid + " fix --timeout 5");
	EXPECT_EQ(r.out, "disabled patch 'fix' in " + pid + "\n");
	r = run_cli("unload " + pid + " fix --json");
	EXPECT_EQ(json::parse(r.out)["name"], "fix");
	// enable and disable ask once whether their transition is still running.
	EXPECT_EQ(test::fake_calls(),
		  (std::vector<std::string>{"enable fix", "status", "disable fix", "status",
					    "unload fix"}));
}

TEST_F(Cli, LogDmesgStyle)
{
	test::fake().log = {{1, 1234567, "graft: enabling patch 'fix'"}, {2, 2000000, "two"}};
	CliRun r = run_cli("log " + pid);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "[    1.234567] graft: enabling patch 'fix'\n[    2.000000] two\n");
	r = run_cli("log " + pid + " --no-time");
	EXPECT_EQ(r.out, "graft: enabling patch 'fix'\ntwo\n");
	r = run_cli("log " + pid + " --json");
	EXPECT_EQ(json::parse(r.out)["lines"].size(), 2u);
}

TEST_F(Cli, PsShowsThisProcess)
{
	CliRun r = run_cli("ps");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find(pid), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("/usr/bin/fake"), std::string::npos) << r.out;
	r = run_cli("ps --json");
	json j = json::parse(r.out);
	ASSERT_EQ(j["processes"].size(), 1u);
	EXPECT_EQ(j["processes"][0]["pid"], getpid());
}

TEST_F(Cli, UsageAndMissingProcessErrors)
{
	EXPECT_EQ(run_cli("").status, 2);
	EXPECT_EQ(run_cli("frob").status, 2);
	CliRun r = run_cli("enable abc fix");
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "graft: 'abc' is not a process id\n");
	EXPECT_EQ(run_cli("enable " + pid).status, 2);
	EXPECT_EQ(run_cli("enable " + pid + " fix --timeout 0").status, 2);
	r = run_cli("list 999999999");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: no process 999999999\n");
	r = run_cli("list 1");
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("process 1 does not have the graft runtime: load it with 'graft "
			     "attach 1' (or pass --attach), or start the program with 'graft run' "
			     "or LD_PRELOAD="),
		  std::string::npos)
		<< r.err;
	r = run_cli("load " + pid + " /nonexistent/fix.so");
	EXPECT_EQ(r.err, "graft: patch file '/nonexistent/fix.so' does not exist\n");
	EXPECT_TRUE(test::fake_calls().empty());
}

// A process with a socket that accepts and never answers: the CLI times out. Then
// the process dies while the CLI waits: the CLI says so.
TEST_F(Cli, TimeoutAndProcessDyingMidRequest)
{
	// The socket is bound here and listened on by the victim (graft checks who serves it).
	std::string path = socket_path(test::server_dir(), getpid() + 100000);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	pid_t victim = test::fork_listener(lfd);
	ASSERT_GT(victim, 0);
	std::string vpath = socket_path(test::server_dir(), victim);
	ASSERT_EQ(rename(path.c_str(), vpath.c_str()), 0);
	path = vpath;
	struct Reaper {
		pid_t pid;
		~Reaper()
		{
			if (kill(pid, SIGKILL) == 0)
				waitpid(pid, nullptr, 0);
		}
	} reaper{victim};
	std::string vpid = std::to_string(victim);

	CliRun r = run_cli("enable " + vpid + " fix --timeout 1");
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("no reply from process " + vpid + " within 1 s"), std::string::npos)
		<< r.err;

	std::thread killer([&] {
		close(accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)); // the timed-out request's
		int cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
		kill(victim, SIGKILL);
		waitpid(victim, nullptr, 0);
		close(cfd);
	});
	r = run_cli("enable " + vpid + " fix --timeout 20");
	killer.join();
	close(lfd);
	unlink(path.c_str());
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: process " + vpid + " exited during the request\n");
}

TEST_F(Cli, RunSetsPreloadAndPatches)
{
	const char *libm = "/lib/x86_64-linux-gnu/libm.so.6";
	if (access(libm, R_OK) != 0)
		GTEST_SKIP() << "no " << libm << " to stand in for libgraft.so";
	// An installation layout: <prefix>/bin/graft and <prefix>/lib/libgraft.so.
	test::TempDir prefix;
	std::filesystem::create_directories(prefix.path + "/bin");
	std::filesystem::create_directories(prefix.path + "/lib");
	std::filesystem::copy_file(kCli, prefix.path + "/bin/graft");
	std::filesystem::copy_file(libm, prefix.path + "/lib/libgraft.so");
	std::string fix = prefix.file("fix.so", 0644);
	CliRun r = run_cli("run --patch " + fix + " -- env", prefix.path + "/bin/graft");
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("\nLD_PRELOAD=" + prefix.path + "/lib/libgraft.so\n"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("\nGRAFT_PATCHES=" + fix + "\n"), std::string::npos);
	r = run_cli("run --patch /missing.so env", prefix.path + "/bin/graft");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: patch file '/missing.so' does not exist\n");
	r = run_cli("run no-such-program-xyz", prefix.path + "/bin/graft");
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "graft: cannot run 'no-such-program-xyz': No such file or directory\n");
	std::filesystem::remove(prefix.path + "/lib/libgraft.so");
	r = run_cli("run env", prefix.path + "/bin/graft");
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("cannot find the runtime"), std::string::npos) << r.err;
}

TEST(ElfDeps, ReadsNeededAndInterp)
{
	std::optional<cli::ElfDeps> self = cli::read_elf_deps("/proc/self/exe");
	ASSERT_TRUE(self);
	EXPECT_FALSE(self->interp.empty());
	bool libc = false;
	for (const std::string &n : self->needed)
		libc = libc || n == "libc.so.6";
	EXPECT_TRUE(libc);
	test::TempDir dir;
	EXPECT_FALSE(cli::read_elf_deps(dir.file("script", 0755)));
	EXPECT_FALSE(cli::read_elf_deps(dir.path + "/missing"));
	EXPECT_TRUE(cli::is_first_sanitizer_runtime("libasan.so.8"));
	EXPECT_TRUE(cli::is_first_sanitizer_runtime("libclang_rt.asan-x86_64.so"));
	EXPECT_FALSE(cli::is_first_sanitizer_runtime("libubsan.so.1"));
	cli::ElfDeps prog;
	prog.needed = {"libc.so.6", "libasan.so.8"};
	EXPECT_FALSE(cli::links_sanitizer_statically(prog));
	prog.defined = {"__asan_init"};
	EXPECT_TRUE(cli::links_sanitizer_statically(prog));
}

} // namespace
} // namespace graft::control
