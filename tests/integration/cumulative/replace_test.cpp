// SPDX-License-Identifier: MIT
// replace_test.cpp - atomic replace: the kernel's test-callbacks.sh "atomic replace" and
// test-livepatch.sh "basic function patching", "multiple livepatches" and "atomic replace
// livepatch", on callbacks-target ("grep" logs which of cmdline_show and meminfo_show say
// "live patched", as the selftests grep /proc/cmdline and /proc/meminfo into the log).
#include <nlohmann/json.hpp>

#include "callbacks_story.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class Replace : public CallbacksStory {
protected:
	// The kernel's grep of /proc/cmdline and /proc/meminfo: logs what says "live patched".
	std::string grep() { return target->ask("grep"); }

	nlohmann::json list()
	{
		CmdResult r = run_graft({"list", pid, "--json"});
		EXPECT_EQ(r.status, 0) << r.err;
		return nlohmann::json::parse(r.out, nullptr, false);
	}
	int count(bool (*pred)(const nlohmann::json &))
	{
		int n = 0;
		nlohmann::json all = list(); // kept: the loop must not outlive it
		for (const auto &p : all["patches"])
			n += pred(p);
		return n;
	}
};

std::vector<std::string> plain(const std::string &p, const std::string &dir)
{
	return {rt(p, "initializing " + dir + " transition"),
		rt(p, "starting " + dir + " transition"),
		rt(p, "completing " + dir + " transition"), rt(p, dir + " complete")};
}

std::vector<std::string> enabling(const std::string &p)
{
	std::vector<std::string> v{"graft: enabling patch '" + p + "'"};
	for (auto &l : plain(p, "patching"))
		v.push_back(l);
	return v;
}

std::vector<std::string> with_callbacks(const std::string &p, const std::string &dir)
{
	bool on = dir == "patching";
	std::vector<std::string> v;
	if (on)
		v.push_back("graft: enabling patch '" + p + "'");
	v.push_back(rt(p, "initializing " + dir + " transition"));
	v.push_back(cb(p, on ? "pre_patch" : "pre_unpatch", "callbacks-target"));
	v.push_back(rt(p, "starting " + dir + " transition"));
	v.push_back(rt(p, "completing " + dir + " transition"));
	v.push_back(cb(p, on ? "post_patch" : "post_unpatch", "callbacks-target"));
	v.push_back(rt(p, dir + " complete"));
	return v;
}

// test-callbacks.sh "atomic replace": only the replacing patch's callbacks run; the
// replaced one gets no unpatch callbacks and can be unloaded without a disable.
TEST_F(Replace, CallbacksAtomicReplace)
{
	const std::string d2r = "livepatch-callbacks-demo2-replace";
	load_lp(kDemo);
	load_lp(d2r);
	disable_lp(d2r);
	unload_lp(d2r);
	unload_lp(kDemo);
	check_result(cat({with_callbacks(kDemo, "patching"), with_callbacks(d2r, "patching"),
			  with_callbacks(d2r, "unpatching")}));
}

// test-livepatch.sh "basic function patching".
TEST_F(Replace, BasicFunctionPatching)
{
	load_lp("livepatch-cmdline");
	EXPECT_THAT(grep(), HasSubstr("cmdline: livepatch-cmdline: this has been live patched"));
	disable_lp("livepatch-cmdline");
	unload_lp("livepatch-cmdline");
	EXPECT_THAT(grep(), HasSubstr("cmdline: original cmdline"));
	check_result(cat({enabling("livepatch-cmdline"),
			  {"livepatch-cmdline: this has been live patched"},
			  plain("livepatch-cmdline", "unpatching")}));
}

// test-livepatch.sh "multiple livepatches": stacked without replace, each its own.
TEST_F(Replace, MultipleLivepatches)
{
	const std::string lp1 = "livepatch-cmdline", mem = "livepatch-meminfo";
	load_lp(lp1);
	grep();
	load_lp(mem);
	grep();
	disable_lp(mem);
	unload_lp(mem);
	grep();
	disable_lp(lp1);
	unload_lp(lp1);
	grep();
	const std::string l1 = lp1 + ": this has been live patched",
			  m = mem + ": this has been live patched";
	check_result(cat({enabling(lp1),
			  {l1},
			  enabling(mem),
			  {l1, m},
			  plain(mem, "unpatching"),
			  {l1},
			  plain(lp1, "unpatching")}));
}

// test-livepatch.sh "atomic replace livepatch": the replace patch patches only
// meminfo_show, so cmdline_show goes back to the original in the same transition (a nop);
// the three replaced patches are listed as replaced, run no callbacks, and unload
// without a disable.
TEST_F(Replace, AtomicReplaceLivepatch)
{
	const std::string lp1 = "livepatch-cmdline", lp2 = "livepatch-uptime",
			  rep = "livepatch-meminfo-replace";
	load_lp(lp1);
	grep();
	load_lp(lp2);
	load_lp(kDemo);
	ASSERT_EQ(count([](const nlohmann::json &p) { return p["enabled"].get<bool>(); }), 3)
		<< "Expecting three patches enabled";
	load_lp(rep);
	EXPECT_THAT(grep(), HasSubstr("cmdline: original cmdline | meminfo: " + rep +
				      ": this has been live patched | uptime: original uptime"));
	EXPECT_EQ(count([](const nlohmann::json &p) { return p["enabled"].get<bool>(); }), 1);
	EXPECT_EQ(count([](const nlohmann::json &p) { return p["replaced"].get<bool>(); }), 3);
	CmdResult text = run_graft({"list", pid});
	EXPECT_THAT(text.out, HasSubstr(lp1 + "  (replaced)"));
	EXPECT_THAT(text.out, HasSubstr(rep + "  (enabled, replace, stack order 1)"));
	unload_lp(kDemo);
	unload_lp(lp2);
	unload_lp(lp1);
	grep();
	disable_lp(rep);
	unload_lp(rep);
	EXPECT_THAT(grep(), HasSubstr("cmdline: original cmdline | meminfo: original meminfo"));
	const std::string l1 = lp1 + ": this has been live patched",
			  r = rep + ": this has been live patched";
	check_result(cat({enabling(lp1),
			  {l1},
			  enabling(lp2),
			  with_callbacks(kDemo, "patching"),
			  enabling(rep),
			  {r, r},
			  plain(rep, "unpatching")}));
}

// A replaced patch cannot be enabled again (the kernel frees it): unload and load it.
TEST_F(Replace, AReplacedPatchMustBeReloadedToBeEnabled)
{
	load_lp("livepatch-cmdline");
	load_lp("livepatch-meminfo-replace");
	CmdResult r = run_graft({"enable", pid, "livepatch-cmdline"});
	EXPECT_EQ(r.status, 1);
	EXPECT_THAT(r.err, HasSubstr("was replaced by a cumulative patch"));
	unload_lp("livepatch-cmdline");
	load_lp("livepatch-cmdline");
	EXPECT_THAT(grep(), HasSubstr("cmdline: livepatch-cmdline: this has been live patched"));
}

} // namespace
