// SPDX-License-Identifier: MIT
// plugin_test.cpp - loading plugins by name behaves exactly as without graft (issue 13):
// plugin-host (RUNPATH $ORIGIN/plugins) dlopens libhostp.so by name, which dlopens
// libhostq.so through its own RUNPATH, plus RTLD_NOLOAD, $ORIGIN in a name, dlmopen and
// dlerror() after failures. Its output without graft is the reference; under graft it
// must be the same, byte for byte, in every mode: a plain LD_PRELOAD, `graft run` (the
// audit module), `graft run` with GRAFT_NO_AUDIT=1.
#include <gtest/gtest.h>

#include <memory>

#include "process.hpp"
#include "transition.hpp"

using namespace graft::test;

#if defined(__SANITIZE_ADDRESS__)
#define PLUGIN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLUGIN_TEST_ASAN 1
#endif
#endif

namespace {

std::string host_program()
{
	return out_dir() + "/itest-host/plugin-host";
}

std::string libgraft()
{
	return out_dir() + "/lib/libgraft.so";
}

enum class Mode { Preload, Run, RunNoAudit };

std::string mode_name(Mode m)
{
	switch (m) {
	case Mode::Preload:
		return "Preload";
	case Mode::Run:
		return "Run";
	case Mode::RunNoAudit:
		return "RunNoAudit";
	}
	return "?";
}

CmdResult run_in(Mode m, const std::vector<std::string> &run_args = {},
		 const std::vector<std::string> &args = {})
{
	std::vector<std::string> argv{"env"};
	if (m == Mode::Preload) {
		argv.push_back("LD_PRELOAD=" + libgraft());
		argv.push_back(host_program());
		argv.insert(argv.end(), args.begin(), args.end());
		return run(argv);
	}
	if (m == Mode::RunNoAudit)
		argv.push_back("GRAFT_NO_AUDIT=1");
	argv.push_back(out_dir() + "/bin/graft");
	argv.push_back("run");
	argv.insert(argv.end(), run_args.begin(), run_args.end());
	argv.push_back("--");
	argv.push_back(host_program());
	argv.insert(argv.end(), args.begin(), args.end());
	return run(argv);
}

const char *const kReference =
	"noload before: NULL [no error]\n"
	"open by name: handle [no error]\n"
	"answer: OK 42\n"
	"nested (libhostp's RUNPATH): OK 7\n"
	"noload after: same handle\n"
	"$ORIGIN in the name: same handle\n"
	"missing: NULL [libhostmissing.so: cannot open shared object file: No such file or "
	"directory]\n"
	"dlerror again: NULL\n"
	"absolute missing: NULL [/nonexistent/dir/libx.so: cannot open shared object file: No "
	"such file or directory]\n"
	"dlmopen new namespace: handle [no error]\n"
	"dlmopen answer: OK 42\n"
	"dlopen(NULL): handle [no error]\n"
	"done\n";

class Plugins : public ::testing::TestWithParam<Mode> {
protected:
	RuntimeDir dir;
};

// The reference itself: what glibc does without graft on this machine. If this fails,
// the fixture is wrong, not graft.
TEST(PluginsWithoutGraft, LoadByNameThroughTheCallersRunpath)
{
#ifdef PLUGIN_TEST_ASAN
	GTEST_SKIP() << "ASan's own dlopen interceptor makes itself the caller (LLVM bug 27790): "
			"without graft, libhostp.so's RUNPATH is not searched; the tests below "
			"still compare graft with this build's own output";
#endif
	CmdResult r = run({host_program()});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, kReference);
}

TEST_P(Plugins, BehaveAsWithoutGraft)
{
	CmdResult plain = run({host_program()});
	CmdResult r = run_in(GetParam());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, plain.out) << r.err;
}

// The dlerror() text after a failed dlopen is glibc's, not lost and not rewritten.
TEST_P(Plugins, DlerrorTextIsGlibcs)
{
	CmdResult r = run_in(GetParam());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("missing: NULL [libhostmissing.so: cannot open shared object file: "
			     "No such file or directory]\n"),
		  std::string::npos)
		<< r.out << r.err;
	EXPECT_NE(r.out.find("dlerror again: NULL\n"), std::string::npos) << r.out;
	// The process's first dlerror() call, right after the failure.
	r = run_in(GetParam(), {}, {"libhostmissing.so"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "first error: NULL [libhostmissing.so: cannot open shared object file: "
			 "No such file or directory]\n")
		<< r.err;
}

// Attach mode: the runtime attached to the running program (`graft attach`), whose dlopen
// entry in libc is then redirected to graft's wrapper: names resolve as without graft.
TEST(PluginsAttached, BehaveAsWithoutGraft)
{
	RuntimeDir dir;
	CmdResult plain = run({host_program(), "--wait"});
	ASSERT_EQ(plain.status, 0) << plain.err;
	Target t(Target::Direct{}, host_program(), {"--wait"});
	std::string out = t.read_line() + "\n";
	ASSERT_EQ(out, "ready\n");
	// Its only thread is borrowed once it sleeps in read(): graft attach refuses a thread
	// caught inside the C library (here: between the printf and the read).
	ASSERT_TRUE(wait_thread_asleep(t.pid(), t.pid()));
	CmdResult a = run_graft({"attach", std::to_string(t.pid())});
	ASSERT_EQ(a.status, 0) << a.err;
	std::string line = t.ask(""); // the program goes on: its first case's line
	out += line + "\n";
	while (line != "done" && !line.empty()) {
		line = t.read_line();
		out += line + "\n";
	}
	EXPECT_EQ(out, plain.out);
	EXPECT_EQ(t.finish(), 0);
}

// A patch on the plugin, given at start: it applies when the program loads the plugin by
// name, and changes nothing else the program sees.
class PatchedPlugins : public Plugins {};

TEST_P(PatchedPlugins, APatchOnThePluginAppliesAndNothingElseChanges)
{
	std::string patch = out_dir() + "/itest-host/patches/hostp-answer43.so";
	CmdResult plain = run({host_program(), "--wait"});
	ASSERT_EQ(plain.status, 0) << plain.err;
	std::unique_ptr<ScopedEnv> no_audit;
	if (GetParam() == Mode::RunNoAudit)
		no_audit = std::make_unique<ScopedEnv>("GRAFT_NO_AUDIT", "1");
	Target t(host_program(), {"--wait"}, {"--patch", patch});
	std::string out = t.read_line() + "\n";
	ASSERT_EQ(out, "ready\n");
	// The patch's start-up transition completes first: the program calls the plugin
	// through a pointer (dlsym), and such a call switches no thread at the function's
	// entry (docs/architecture.md, "Switch points"), so until the transition completes
	// the program may still run the old version, as the consistency model says.
	ASSERT_TRUE(wait_log(t.pid(), "'hostp-answer43': patching complete"));
	std::string line = t.ask("");
	out += line + "\n";
	while (line != "done" && !line.empty()) {
		line = t.read_line();
		out += line + "\n";
	}
	std::string want = plain.out;
	want.replace(want.find("answer: OK 42"), 13, "answer: OK 43");
	EXPECT_EQ(out, want);
	EXPECT_EQ(t.finish(), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, Plugins,
			 ::testing::Values(Mode::Preload, Mode::Run, Mode::RunNoAudit),
			 [](const auto &info) { return mode_name(info.param); });
// A plain LD_PRELOAD has no way to give a patch at start.
INSTANTIATE_TEST_SUITE_P(Modes, PatchedPlugins, ::testing::Values(Mode::Run, Mode::RunNoAudit),
			 [](const auto &info) { return mode_name(info.param); });

} // namespace
