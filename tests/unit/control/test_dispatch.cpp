// SPDX-License-Identifier: MIT
// test_dispatch.cpp - request parsing, validation and dispatch to the (fake) core.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/dispatch.hpp"
#include "control/protocol.hpp"
#include "fake_core.hpp"
#include "test_util.hpp"

namespace graft::control {
namespace {

using json = nlohmann::json;
using test::fake;
using test::fake_calls;

class Dispatch : public ::testing::Test {
protected:
	void SetUp() override { test::fake_reset(); }

	// Sends req (a JSON text) and returns the parsed reply; *closed tells whether the
	// server would drop the connection.
	json call(const std::string &req, bool *closed = nullptr)
	{
		Reply r = handle_request(req, geteuid());
		EXPECT_EQ(r.line.find('\n'), std::string::npos) << "a reply is one line";
		if (closed)
			*closed = r.close;
		return json::parse(r.line);
	}
	static std::string error_of(const json &j) { return j.value("error", std::string()); }
};

TEST_F(Dispatch, LoadChecksFileThenCallsCore)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	json r = call(json{{"v", 1}, {"cmd", "load"}, {"path", f}}.dump());
	EXPECT_TRUE(r["ok"].get<bool>()) << r;
	EXPECT_EQ(r["v"], 1);
	EXPECT_EQ(r["name"], "fix");
	EXPECT_EQ(r["enabled"], true);
	r = call(json{{"cmd", "load"}, {"path", f}, {"enable", false}}.dump());
	EXPECT_EQ(r["enabled"], false);
	// An enabling load reads the transition for its reply (below); --no-enable does not.
	EXPECT_EQ(fake_calls(),
		  (std::vector<std::string>{"load " + f + " 1", "status", "load " + f + " 0"}));
}

// The replies that start a transition carry it as `status` would, so that the command
// waiting for it needs no request of its own when the first round completed it.
TEST_F(Dispatch, RepliesThatStartATransitionCarryIt)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0644);
	json r = call(json{{"cmd", "load"}, {"path", f}}.dump());
	ASSERT_TRUE(r.contains("transition")) << r;
	EXPECT_TRUE(r["transition"].is_null());
	r = call(json{{"cmd", "load"}, {"path", f}, {"enable", false}}.dump());
	EXPECT_FALSE(r.contains("transition")) << r;

	fake().transition = core::TransitionView{true, "fix", "unpatching", 4, 3, 10, {}};
	for (const char *c : {"enable", "disable"}) {
		r = call(json{{"cmd", c}, {"name", "fix"}}.dump());
		ASSERT_TRUE(r.contains("transition")) << c << ": " << r;
		EXPECT_EQ(r["transition"]["direction"], "unpatching");
		EXPECT_EQ(r["transition"]["threads_switched"], 3);
	}
	r = call(json{{"cmd", "unload"}, {"name", "fix"}}.dump());
	EXPECT_FALSE(r.contains("transition")) << r;

	fake().result = core::Result::fail("no patch named 'fix' is loaded");
	r = call(json{{"cmd", "enable"}, {"name", "fix"}}.dump());
	EXPECT_FALSE(r.contains("transition")) << r;
}

TEST_F(Dispatch, LoadRefusedFileNeverReachesCore)
{
	test::TempDir dir;
	std::string f = dir.file("fix.so", 0646);
	json r = call(json{{"cmd", "load"}, {"path", f}}.dump());
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_EQ(error_of(r), "patch file '" + f + "' is writable by others: chmod go-w it");
	r = call(R"({"cmd":"load","path":"rel/fix.so"})");
	EXPECT_EQ(error_of(r), "patch file 'rel/fix.so' is not an absolute path");
	EXPECT_TRUE(fake_calls().empty());
}

TEST_F(Dispatch, CoreFailureIsRepliedAndConnectionKept)
{
	fake().result = core::Result::fail("symbol 'foo' not found in symbol table");
	bool closed = true;
	json r = call(R"({"v":1,"cmd":"enable","name":"fix"})", &closed);
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_EQ(error_of(r), "symbol 'foo' not found in symbol table");
	EXPECT_FALSE(closed);
}

TEST_F(Dispatch, NamedCommands)
{
	for (const char *c : {"enable", "disable", "unload"}) {
		json r = call(json{{"cmd", c}, {"name", "fix"}}.dump());
		EXPECT_TRUE(r["ok"].get<bool>()) << r;
		EXPECT_EQ(r["name"], "fix");
	}
	EXPECT_EQ(fake_calls(), (std::vector<std::string>{"enable fix", "status", "disable fix",
							  "status", "unload fix"}));
	json r = call(R"({"cmd":"enable"})");
	EXPECT_EQ(error_of(r), "malformed request: missing field 'name'");
	r = call(R"({"cmd":"disable","name":3})");
	EXPECT_EQ(error_of(r), "malformed request: field 'name' must be a non-empty string");
}

TEST_F(Dispatch, ListRendersTheWholeTree)
{
	core::FuncView f{"do_work", 2, 0x1000, 0x2000, "patchable", true, true};
	core::ObjectView o{"demo", true, true, {f}};
	fake().patches = {core::PatchView{"fix", "/p/fix.so", true, "patching", {o}}};
	json r = call(R"({"cmd":"list"})");
	ASSERT_TRUE(r["ok"].get<bool>());
	const json &p = r["patches"].at(0);
	EXPECT_EQ(p["name"], "fix");
	EXPECT_EQ(p["path"], "/p/fix.so");
	EXPECT_EQ(p["enabled"], true);
	EXPECT_EQ(p["transition"], "patching");
	const json &obj = p["objects"].at(0);
	EXPECT_EQ(obj["name"], "demo");
	EXPECT_EQ(obj["loaded"], true);
	const json &fn = obj["funcs"].at(0);
	EXPECT_EQ(fn["name"], "do_work");
	EXPECT_EQ(fn["sympos"], 2);
	EXPECT_EQ(fn["old_addr"], 0x1000);
	EXPECT_EQ(fn["new_addr"], 0x2000);
	EXPECT_EQ(fn["entry_kind"], "patchable");
	EXPECT_EQ(fn["active"], true);
}

TEST_F(Dispatch, LogPassesBoundsAndCapsMax)
{
	fake().log = {{1, 10, "a"}, {2, 20, "b"}, {3, 30, "c"}};
	json r = call(R"({"cmd":"log","after":1,"max":5})");
	ASSERT_EQ(r["lines"].size(), 2u);
	EXPECT_EQ(r["lines"][0]["seq"], 2);
	EXPECT_EQ(r["lines"][0]["usec"], 20);
	EXPECT_EQ(r["lines"][0]["text"], "b");
	call(R"({"cmd":"log"})");
	call(R"({"cmd":"log","after":0,"max":1000000})");
	EXPECT_EQ(fake_calls(), (std::vector<std::string>{"log 1 5", "log 0 256", "log 0 1024"}));
	r = call(R"({"cmd":"log","after":-1})");
	EXPECT_EQ(error_of(r), "malformed request: field 'after' must be a non-negative integer");
}

TEST_F(Dispatch, InvalidUtf8InLogStillGivesValidJson)
{
	fake().log = {{1, 1, std::string("bad \xff\xfe byte")}};
	json r = call(R"({"cmd":"log"})");
	ASSERT_TRUE(r["ok"].get<bool>());
	EXPECT_EQ(r["lines"][0]["text"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST_F(Dispatch, Info)
{
	json r = call(R"({"v":1,"cmd":"info"})");
	EXPECT_EQ(r["pid"], getpid());
	EXPECT_EQ(r["exe"], "/usr/bin/fake");
	EXPECT_EQ(r["runtime_version"], "0.1.0");
	EXPECT_EQ(r["patches"], 0);
}

TEST_F(Dispatch, StatusWithoutTransitionIsNull)
{
	json r = call(R"({"v":1,"cmd":"status"})");
	ASSERT_TRUE(r["ok"].get<bool>()) << r;
	ASSERT_TRUE(r.contains("transition"));
	EXPECT_TRUE(r["transition"].is_null());
	EXPECT_EQ(fake_calls(), std::vector<std::string>{"status"});
}

TEST_F(Dispatch, StatusRendersTheTransition)
{
	fake().transition =
		core::TransitionView{true,
				     "fix",
				     "patching",
				     64,
				     62,
				     1200000,
				     {{1234, "worker-3", "sleeping in busymod_work_func"},
				      {1240, "blocker", "blocks the signal"}}};
	json r = call(R"({"cmd":"status"})");
	ASSERT_TRUE(r["ok"].get<bool>()) << r;
	const json &t = r["transition"];
	EXPECT_EQ(t["patch"], "fix");
	EXPECT_EQ(t["direction"], "patching");
	EXPECT_EQ(t["threads_total"], 64);
	EXPECT_EQ(t["threads_switched"], 62);
	EXPECT_EQ(t["elapsed_usec"], 1200000);
	ASSERT_EQ(t["holding"].size(), 2u);
	EXPECT_EQ(t["holding"][0], (json{{"tid", 1234},
					 {"name", "worker-3"},
					 {"reason", "sleeping in busymod_work_func"}}));
	EXPECT_EQ(t["holding"][1]["reason"], "blocks the signal");
}

TEST_F(Dispatch, ForceNamesThePatchOrReportsTheCoreError)
{
	fake().transition = core::TransitionView{true, "fix", "unpatching", 4, 3, 10, {}};
	json r = call(R"({"cmd":"force"})");
	ASSERT_TRUE(r["ok"].get<bool>()) << r;
	EXPECT_EQ(r["patch"], "fix");
	EXPECT_EQ(r["direction"], "unpatching");
	fake().force_result = core::Result::fail("no transition in progress");
	r = call(R"({"cmd":"force"})");
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_EQ(error_of(r), "no transition in progress");
	EXPECT_FALSE(r.contains("patch"));
	EXPECT_EQ(fake_calls(), (std::vector<std::string>{"status", "force", "status", "force"}));
}

TEST_F(Dispatch, MalformedJsonClosesConnection)
{
	bool closed = false;
	json r = call(R"({"cmd":)", &closed);
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_EQ(error_of(r).rfind("malformed JSON: parse error", 0), 0u) << error_of(r);
	EXPECT_TRUE(closed);
	r = call("[1,2]", &closed);
	EXPECT_EQ(error_of(r), "malformed request: expected a JSON object");
	EXPECT_TRUE(closed);
	r = call("", &closed);
	EXPECT_TRUE(closed);
	EXPECT_FALSE(r["ok"].get<bool>());
}

TEST_F(Dispatch, UnknownOrMissingCommand)
{
	bool closed = true;
	json r = call(R"({"cmd":"reboot"})", &closed);
	EXPECT_EQ(error_of(r).rfind("unknown command 'reboot'", 0), 0u) << error_of(r);
	EXPECT_FALSE(closed);
	r = call(R"({"name":"x"})");
	EXPECT_EQ(error_of(r), "malformed request: missing field 'cmd'");
	r = call(R"({"cmd":7})");
	EXPECT_EQ(error_of(r), "malformed request: field 'cmd' must be a non-empty string");
	EXPECT_TRUE(fake_calls().empty());
}

TEST_F(Dispatch, OtherProtocolVersionRefused)
{
	bool closed = false;
	json r = call(R"({"v":2,"cmd":"info"})", &closed);
	EXPECT_EQ(error_of(r), "unsupported protocol version 2 (this runtime speaks version 1)");
	EXPECT_TRUE(closed);
	r = call(R"({"v":"1","cmd":"info"})", &closed);
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_TRUE(fake_calls().empty());
}

TEST_F(Dispatch, DeeplyNestedValuesAreHarmless)
{
	// As deep as a 64 KiB request allows, in an ignored field and in "v".
	std::string deep = std::string(30000, '[') + std::string(30000, ']');
	json r = call(R"({"cmd":"info","x":)" + deep + "}");
	EXPECT_TRUE(r["ok"].get<bool>());
	bool closed = false;
	r = call(R"({"cmd":"info","v":)" + deep + "}", &closed);
	EXPECT_EQ(error_of(r), "unsupported protocol version (not an integer) (this runtime "
			       "speaks version 1)");
	EXPECT_TRUE(closed);
}

TEST_F(Dispatch, ExceptionFromCoreNeverEscapes)
{
	fake().throw_next = true;
	bool closed = false;
	json r;
	EXPECT_NO_THROW(r = call(R"({"cmd":"info"})", &closed));
	EXPECT_FALSE(r["ok"].get<bool>());
	EXPECT_NE(error_of(r).find("internal error"), std::string::npos);
	EXPECT_TRUE(closed);
}

} // namespace
} // namespace graft::control
