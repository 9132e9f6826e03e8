// SPDX-License-Identifier: MIT
// system_test.cpp - the acceptance plan of system-wide.md §2.8 that needs more than one
// kind of process: a process under a write-execute ban (PR_SET_MDWE), one in its own
// mount namespace with a private /tmp, a prefork parent and its children, and one without
// the runtime, all covered (or reported) by one `graft install`; and the machine-wide
// preload, tested only in a private mount namespace whose /etc is an overlay (the
// machine's /etc/ld.so.preload is never written).
#include "store_fixture.hpp"

#include <fstream>
#include <sstream>

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

// A sanitizer build's libgraft.so needs the sanitizer runtime loaded first: preloading it
// into every process would break them, and `graft preload enable` refuses it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

class System : public StoreWorld {};

std::string pid_str(pid_t pid)
{
	return std::to_string(pid);
}

std::vector<std::string> words(const std::string &line)
{
	std::istringstream in(line);
	std::vector<std::string> out;
	for (std::string w; in >> w;)
		out.push_back(w);
	return out;
}

TEST_F(System, InstallCoversMdwePrivateTmpPreforkAndReportsTheBareProcess)
{
	std::string graft_bin = out_dir() + "/bin/graft";
	Target plain(prog());
	Target mdwe(prog(), {"mdwe"});
	Target ns(Target::Direct{}, "unshare",
		  {"-m", "--propagation", "private", "sh", "-c",
		   private_tmp_then(graft_bin + " run -- " + prog())});
	Target prefork(prog());
	Target bare(Target::Direct{}, prog());
	for (Target *t : {&plain, &mdwe, &ns, &prefork, &bare})
		ASSERT_EQ(t->read_line(), "main: old");
	ASSERT_TRUE(plain.wait_ready() && mdwe.wait_ready() && prefork.wait_ready());
	std::vector<std::string> kids = words(prefork.ask("fork 2"));
	ASSERT_EQ(kids.size(), 3u);
	EXPECT_EQ(kids[0], "children:");

	CmdResult r = graft({"install", module("10-fix"), "--exe", prog()});
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	for (pid_t pid : {plain.pid(), mdwe.pid(), ns.pid(), prefork.pid(),
			  pid_t(std::stoi(kids[1])), pid_t(std::stoi(kids[2]))})
		EXPECT_THAT(r.out, HasSubstr(pid_str(pid) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(bare.pid()) + " store_prog       without runtime"));
	for (Target *t : {&plain, &mdwe, &ns, &prefork})
		EXPECT_EQ(t->ask("call"), "call: fixed");
	EXPECT_EQ(bare.ask("call"), "call: old");

	// One record per process, children included, with the object's build-id.
	auto st = status_all();
	for (const std::string &k : {kids[1], kids[2]}) {
		ASSERT_TRUE(st.count(std::stoi(k))) << k;
		EXPECT_EQ(st[std::stoi(k)]["verdict"], "patched");
	}
	json b = st[bare.pid()];
	EXPECT_EQ(b["verdict"], "without runtime");
	EXPECT_EQ(b["runtime"], "absent");
	json n = st[ns.pid()];
	EXPECT_EQ(n["runtime"], "present");
	for (const char *key : {"pid", "nspid", "comm", "uid", "exe", "exe_deleted", "runtime",
				"objects", "patches", "verdict"})
		EXPECT_TRUE(n.contains(key)) << key;
	EXPECT_EQ(n["objects"][0]["build_id"], STORE_ID_X);
	EXPECT_EQ(n["patches"][0]["state"], "enabled");
}

// A process in its own mount namespace where the store and another patch directory are
// covered by empty tmpfs mounts: it cannot open the store's modules by path, so the
// patch reaches it only as a descriptor. install, apply --all --from-store and apply
// --all FILE patch it; one started after install gets nothing from the store by itself
// (it cannot see it), which shows the store is hidden from it.
TEST_F(System, InstallAndApplyAllPatchAProcessThatCannotSeeTheStore)
{
	std::string hidden = dir_ + "/hidden", cumulative = hidden + "/20-fix-cumulative.so";
	fs::create_directories(store());
	fs::create_directories(hidden);
	fs::copy_file(module("20-fix-cumulative"), cumulative);
	std::string cover = "mount -t tmpfs graft-hide '" + store() + "' && mount -t tmpfs " +
			    "graft-hide '" + hidden + "' && exec " + out_dir() +
			    "/bin/graft run -- " + prog();
	std::vector<std::string> ns{"-m", "--propagation", "private", "sh", "-c", cover};
	Target a(Target::Direct{}, "unshare", ns);
	ASSERT_EQ(a.read_line(), "main: old");
	ASSERT_TRUE(a.wait_ready());

	CmdResult r = graft({"install", module("10-fix"), "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(a.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_EQ(a.ask("call"), "call: fixed");
	// The module is in the store, and not where the process looks.
	std::string index = store() + "/index";
	EXPECT_TRUE(fs::exists(index));
	EXPECT_FALSE(fs::exists("/proc/" + pid_str(a.pid()) + "/root" + index));

	Target b(Target::Direct{}, "unshare", ns);
	ASSERT_EQ(b.read_line(), "main: old"); // its runtime found no store
	ASSERT_TRUE(b.wait_ready());
	r = graft({"apply", "--all", "--from-store", "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(b.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(a.pid()) + " store_prog       already: 10-fix"));
	EXPECT_EQ(b.ask("call"), "call: fixed");

	EXPECT_FALSE(fs::exists("/proc/" + pid_str(a.pid()) + "/root" + cumulative));
	r = graft({"apply", "--all", cumulative, "--exe", prog()});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	for (Target *t : {&a, &b}) {
		EXPECT_THAT(r.out,
			    HasSubstr(pid_str(t->pid()) + " store_prog       patched: 20-fix"));
		EXPECT_EQ(t->ask("call"), "call: fixed twice");
	}
}

// The Seccomp line of /proc/PID/status: 2 when a filter is installed.
std::string seccomp_mode(pid_t pid)
{
	std::ifstream in("/proc/" + pid_str(pid) + "/status");
	for (std::string line; std::getline(in, line);)
		if (line.rfind("Seccomp:", 0) == 0)
			return words(line).back();
	return "";
}

// §2.8: one library, mapped by processes of two programs, one of them under the seccomp
// filter of systemd's MemoryDenyWriteExecute=yes (no mmap W+X, no mprotect to X at all):
// one `graft install` patches all three. The runtime's mprotect(RWX) window is refused
// there and its code writes go through /proc/self/mem; its stubs are mapped R+X.
TEST_F(System, InstallCoversTwoProgramsAndTheSeccompWriteExecuteBan)
{
	Target one(prog()), two(other_prog()), banned(prog(), {"seccomp-wx"});
	for (Target *t : {&one, &two, &banned})
		ASSERT_EQ(t->read_line(), "main: old");
	ASSERT_TRUE(one.wait_ready() && two.wait_ready() && banned.wait_ready());
	ASSERT_EQ(banned.ask("wx"), "wx: mmap refused, mprotect refused");
	ASSERT_EQ(one.ask("wx"), "wx: mmap allowed, mprotect allowed");
	EXPECT_EQ(seccomp_mode(banned.pid()), "2");

	// Both programs by the library they map, limited to this test's processes.
	CmdResult r = graft({"install", module("10-fix"), "--lib", "libstoretgt.so.1",
			     pid_str(one.pid()), pid_str(two.pid()), pid_str(banned.pid())});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_THAT(r.out, HasSubstr(pid_str(one.pid()) + " store_prog       patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(two.pid()) + " store_other      patched: 10-fix"));
	EXPECT_THAT(r.out, HasSubstr(pid_str(banned.pid()) + " store_prog       patched: 10-fix"));
	for (Target *t : {&one, &two, &banned})
		EXPECT_EQ(t->ask("call"), "call: fixed");
	EXPECT_EQ(banned.ask("wx"),
		  "wx: mmap refused, mprotect refused"); // the ban is still in force

	// Disabled and enabled again under the ban: the code is written back both ways.
	CmdResult d = graft({"disable", pid_str(banned.pid()), "10-fix"});
	EXPECT_EQ(d.status, 0) << d.out << d.err;
	EXPECT_EQ(banned.ask("call"), "call: old");
}

// graft preload enable/disable and the kill switch, in a mount namespace whose /etc is an
// overlay: the script stops before any graft command unless /etc is that overlay.
TEST_F(System, PreloadReachesEveryNewProcessAndTheKillSwitchStopsIt)
{
	std::string before = read_file("/etc/ld.so.preload");
	bool existed = fs::exists("/etc/ld.so.preload");
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	std::string g = out_dir() + "/bin/graft", ov = dir_ + "/ov";
	std::string script = "set -e\n"
			     "mkdir -p " +
			     ov + "/up " + ov +
			     "/work\n"
			     "mount -t overlay overlay -o lowerdir=/etc,upperdir=" +
			     ov + "/up,workdir=" + ov +
			     "/work /etc\n"
			     "grep -q '^overlay /etc overlay ' /proc/self/mounts\n" +
			     g + " preload enable\n" + prog() +
			     " </dev/null\n"
			     "touch " +
			     dir_ + "/etc/disable\n" + prog() +
			     " </dev/null\n"
			     "rm " +
			     dir_ + "/etc/disable\n" + g + " preload status\n" + g +
			     " preload disable\n" + prog() + " </dev/null\n" + g +
			     " preload status\n";
	CmdResult r = run({"unshare", "-m", "--propagation", "private", "sh", "-c", script}, 180);
	if (kSanitized) {
		EXPECT_EQ(r.status, 1) << r.out << r.err;
		EXPECT_THAT(r.err, HasSubstr("preloaded: not enabling it for every process"));
		EXPECT_EQ(r.out, "");
		EXPECT_EQ(read_file("/etc/ld.so.preload"), before);
		return;
	}
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	std::vector<std::string> lines = lines_of(r.out);
	ASSERT_EQ(lines.size(), 7u) << r.out << r.err;
	EXPECT_THAT(lines[0], HasSubstr("preload enabled (/etc/ld.so.preload names "));
	EXPECT_EQ(lines[1], "main: fixed");
	EXPECT_EQ(lines[2], "main: old");
	EXPECT_THAT(lines[3], HasSubstr("preload enabled"));
	EXPECT_THAT(lines[4], HasSubstr("preload disabled"));
	EXPECT_EQ(lines[5], "main: old");
	EXPECT_THAT(lines[6], HasSubstr("preload disabled"));
	// The machine's file is as it was.
	EXPECT_EQ(fs::exists("/etc/ld.so.preload"), existed);
	EXPECT_EQ(read_file("/etc/ld.so.preload"), before);
}

} // namespace
