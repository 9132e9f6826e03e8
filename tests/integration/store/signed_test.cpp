// SPDX-License-Identifier: MIT
// signed_test.cpp - the store's loads under the default policy (security.md): the system
// store requires a signature (require_signature = auto), so a process that starts skips
// an unsigned, revoked or altered entry with the reason in its log and runs unpatched,
// and enables a signed one before main. The keys are the world's
// (GRAFT_CONFIG_DIR/keys.d), made by graft keygen.
#include "store_fixture.hpp"

#include <fstream>

using namespace graft::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class SignedStore : public StoreWorld {
protected:
	void SetUp() override
	{
		StoreWorld::SetUp();
		fs::create_directories(dir_ + "/etc/keys.d");
		CmdResult k = graft({"keygen", "-p", dir_ + "/etc/keys.d/graft.pub", "-s",
				     dir_ + "/graft.key"});
		ASSERT_EQ(k.status, 0) << k.err;
		write_policy("require_signature = auto\n");
	}

	// A copy of module name next to its signature, as a vendor ships them.
	std::string signed_module(const std::string &name)
	{
		std::string copy = dir_ + "/" + name + ".so";
		fs::copy_file(module(name), copy, fs::copy_options::overwrite_existing);
		CmdResult s = graft({"sign", "-s", dir_ + "/graft.key", copy});
		EXPECT_EQ(s.status, 0) << s.err;
		return copy;
	}

	std::string key_id()
	{
		std::string word;
		std::ifstream in(dir_ + "/etc/keys.d/graft.pub");
		for (int i = 0; i < 6; i++) // "untrusted comment: minisign public key ID"
			in >> word;
		return word;
	}

	// A process started now: its first line, its log, and whether graft list shows a
	// patch. The log is complete when main prints: the store is read before main.
	struct Started {
		std::string first, log, list;
	};
	Started start(Target &p)
	{
		Started s;
		s.first = p.read_line();
		EXPECT_TRUE(p.wait_ready());
		s.log = graft({"log", std::to_string(p.pid()), "--no-time"}).out;
		s.list = graft({"list", std::to_string(p.pid())}).out;
		return s;
	}

	void expect_skipped(Target &p, const std::string &reason)
	{
		Started s = start(p);
		EXPECT_EQ(s.first, "main: old");
		EXPECT_THAT(s.log, HasSubstr("graft: store patch '10-fix' not enabled: refused (" +
					     reason + ")"));
		EXPECT_THAT(s.log, Not(HasSubstr("enabled from the store")));
		EXPECT_THAT(s.list, Not(HasSubstr("10-fix")));
		EXPECT_EQ(p.ask("call"), "call: old");
		// Nothing of it stays: not the module, not libsodium (mapped only while an entry
		// is verified).
		std::string maps = read_file("/proc/" + std::to_string(p.pid()) + "/maps");
		EXPECT_THAT(maps, Not(HasSubstr("/modules/10-fix.so")));
		EXPECT_THAT(maps, Not(HasSubstr("libsodium")));
	}
};

TEST_F(SignedStore, AnUnsignedEntryIsSkippedAtStartWithTheReason)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("10-fix")}).status, 0);
	Target p(prog());
	expect_skipped(p, "unsigned");
}

TEST_F(SignedStore, ASignedEntryIsEnabledBeforeMainAndAudited)
{
	std::string fix = signed_module("10-fix");
	ASSERT_EQ(graft({"install", "--no-apply", fix}).status, 0);
	ASSERT_TRUE(fs::exists(store() + "/modules/10-fix.so.minisig"));
	Target p(prog());
	Started s = start(p);
	EXPECT_EQ(s.first, "main: fixed");
	EXPECT_THAT(s.log, HasSubstr("graft: patch '10-fix.so' enabled from the store"));
	EXPECT_EQ(p.ask("call"), "call: fixed");
	CmdResult h = graft({"history", std::to_string(p.pid()), "--json"});
	json records = json::parse(h.out, nullptr, false)["records"];
	ASSERT_TRUE(records.is_array()) << h.out << h.err;
	ASSERT_EQ(records.size(), 1u) << h.out;
	EXPECT_EQ(records[0]["action"], "autoload");
	EXPECT_EQ(records[0]["patch"], "10-fix");
	EXPECT_EQ(records[0]["key"], key_id());
	EXPECT_EQ(records[0]["result"], "ok");
}

TEST_F(SignedStore, AnEntryByARevokedKeyIsSkipped)
{
	ASSERT_EQ(graft({"install", "--no-apply", signed_module("10-fix")}).status, 0);
	write_policy("revoked_keys = " + key_id() + "\n");
	Target p(prog());
	expect_skipped(p, "revoked");
}

// One byte of the installed module changed after signing (at its end: the section
// headers, which the loader does not read, so only the signature can tell).
TEST_F(SignedStore, AnEntryWithOneFlippedByteIsSkipped)
{
	ASSERT_EQ(graft({"install", "--no-apply", signed_module("10-fix")}).status, 0);
	std::string installed = store() + "/modules/10-fix.so";
	{
		std::fstream f(installed, std::ios::in | std::ios::out | std::ios::binary);
		f.seekg(-1, std::ios::end);
		char c = char(f.get());
		f.seekp(-1, std::ios::end);
		f.put(char(c ^ 0x01));
	}
	Target p(prog());
	expect_skipped(p, "bad signature");
}

// The library dlopen'ed later takes the same path: its unsigned patch is refused and
// the library's constructor runs unpatched.
TEST_F(SignedStore, AnUnsignedEntryForALibraryLoadedLaterIsSkipped)
{
	ASSERT_EQ(graft({"install", "--no-apply", module("late-fix")}).status, 0);
	Target p(prog());
	ASSERT_EQ(p.read_line(), "main: old");
	EXPECT_EQ(p.ask("dlopen " + late_lib()), "ctor: late old");
	EXPECT_EQ(p.read_line(), "dlopen ok");
	ASSERT_TRUE(p.wait_ready());
	CmdResult log = graft({"log", std::to_string(p.pid()), "--no-time"});
	EXPECT_THAT(log.out,
		    HasSubstr("graft: store patch 'late-fix' not loaded: refused (unsigned)"));
}

} // namespace
