// SPDX-License-Identifier: MIT
// callbacks_story.hpp - the harness of the callbacks tests, after the kernel's
// functions.sh: start callbacks-target under `graft run`, do the steps (graft load,
// disable, unload; the target's load/unload/set), and compare the runtime's log, in
// order, with the expected lines. As check_result keeps only livepatch and test-module
// lines, the comparison drops the runtime's start-up lines and the one line whose place
// depends on timing ("signaling remaining threads", printed once a transition has
// waited a second).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "process.hpp"
#include "transition.hpp"

namespace graft::test {

class CallbacksStory : public ::testing::Test {
protected:
	static constexpr const char *kDemo = "livepatch-callbacks-demo";
	static constexpr const char *kDemo2 = "livepatch-callbacks-demo2";
	static constexpr const char *kExe = "callbacks-target";
	static constexpr const char *kMod = "libcallbacks_mod.so";
	static constexpr const char *kBusy = "libcallbacks_busy.so";

	void SetUp() override
	{
		target = std::make_unique<Target>(out_dir() + "/samples/callbacks-target");
		ASSERT_TRUE(target->wait_ready());
		pid = std::to_string(target->pid());
	}
	void TearDown() override
	{
		if (target) {
			EXPECT_EQ(target->finish(), 0) << "the target must exit cleanly";
		}
	}

	std::string sample(const std::string &patch)
	{
		return out_dir() + "/samples/" + patch + ".so";
	}

	// insmod of a livepatch: load and enable, waiting for the transition to finish.
	void load_lp(const std::string &patch)
	{
		CmdResult r = run_graft({"load", pid, sample(patch)});
		ASSERT_EQ(r.status, 0) << r.out << r.err;
	}
	// load_lp_nowait: returns once the transition has started.
	void load_lp_nowait(const std::string &patch)
	{
		CmdResult r = run_graft({"load", pid, sample(patch), "--no-wait"});
		ASSERT_EQ(r.status, 0) << r.out << r.err;
	}
	// A load the patch's pre_patch refuses: exit 1, the errno's text.
	void load_failing_lp(const std::string &patch, const std::string &why)
	{
		CmdResult r = run_graft({"load", pid, sample(patch)});
		EXPECT_EQ(r.status, 1) << r.out << r.err;
		EXPECT_THAT(r.err, ::testing::HasSubstr(why));
	}
	void disable_lp(const std::string &patch)
	{
		CmdResult r = run_graft({"disable", pid, patch});
		ASSERT_EQ(r.status, 0) << r.out << r.err;
	}
	void unload_lp(const std::string &patch)
	{
		CmdResult r = run_graft({"unload", pid, patch});
		ASSERT_EQ(r.status, 0) << r.out << r.err;
	}
	// insmod / rmmod of a target library, by the target itself.
	void load_lib(const std::string &lib, bool block = false)
	{
		EXPECT_EQ(target->ask("load " + lib + (block ? " block" : "")), "ok");
	}
	// A load a patch refuses: the target's dlopen fails, dlerror() names the patch.
	std::string load_failing_lib(const std::string &lib)
	{
		std::string reply = target->ask("load " + lib);
		EXPECT_THAT(reply, ::testing::StartsWith("error: "));
		return reply;
	}
	void unload_lib(const std::string &lib) { EXPECT_EQ(target->ask("unload " + lib), "ok"); }
	void set(const std::string &var, int value)
	{
		EXPECT_EQ(target->ask("set " + var + " " + std::to_string(value)), "ok");
	}

	std::vector<std::string> story() const
	{
		std::vector<std::string> out;
		for (const std::string &line : lines_of(graft_log(target->pid()))) {
			if (line.rfind("graft: runtime ", 0) == 0 ||
			    line.rfind("graft: control socket", 0) == 0 ||
			    line == "graft: signaling remaining threads")
				continue;
			out.push_back(line);
		}
		return out;
	}
	void check_result(const std::vector<std::string> &expected)
	{
		EXPECT_THAT(story(), ::testing::ElementsAreArray(expected));
	}

	RuntimeDir rundir; // first: the target and the graft commands share it
	std::unique_ptr<Target> target;
	std::string pid;
};

// The demo's callback lines: "<patch>: <callback>: <object> [-> <state>]".
inline std::string cb(const std::string &patch, const std::string &callback,
		      const std::string &object, const std::string &state = "")
{
	std::string line = patch + ": " + callback + "_callback: " + object;
	if (state == "LIVE")
		line += " -> [GRAFT_OBJECT_LIVE] Normal state";
	else if (state == "COMING")
		line += " -> [GRAFT_OBJECT_COMING] Fully formed, running constructors";
	else if (state == "GOING")
		line += " -> [GRAFT_OBJECT_GOING] Going away";
	return line;
}

// The expected lines of several steps, in order.
inline std::vector<std::string> cat(std::initializer_list<std::vector<std::string>> parts)
{
	std::vector<std::string> out;
	for (const auto &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}

// The runtime's line "graft: '<patch>': <what>".
inline std::string rt(const std::string &patch, const std::string &what)
{
	return "graft: '" + patch + "': " + what;
}

} // namespace graft::test
