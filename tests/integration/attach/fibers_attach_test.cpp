// SPDX-License-Identifier: MIT
// fibers_attach_test.cpp - fibers in attach mode: fib-target (tests/integration/fibers)
// started without graft, attached, then a fiber made after the attach parks inside
// fib_park. Loading the patch must wait for it (the redirected makecontext/swapcontext
// or Boost.Context entries track it), and completes once it is resumed.
#include "attach_test.hpp"

#include "transition.hpp"

using namespace graft::test;
using ::testing::HasSubstr;

namespace {

class AttachFibers : public ::testing::TestWithParam<std::string> {};

TEST_P(AttachFibers, AFiberMadeAfterTheAttachHoldsTheTransitionWhileParked)
{
	RuntimeDir dir;
	Target t(Target::Direct{}, out_dir() + "/itest-fib/fib-target",
		 std::vector<std::string>{GetParam()});
	ASSERT_EQ(t.read_line(), "ready");
	ASSERT_TRUE(wait_thread_asleep(t.pid(), t.pid()));
	std::string pid = std::to_string(t.pid());
	CmdResult r = run_graft({"attach", pid});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	ASSERT_EQ(t.ask("park"), "parked");
	r = run_graft({"load", pid, out_dir() + "/itest-fib/patches/fib-patch.so", "--no-wait"});
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	TransitionStatus s;
	EXPECT_TRUE(wait_status(
		t.pid(),
		[](const TransitionStatus &st) {
			return st.active && st.holding.size() == 1 && st.holding[0].tid == 0 &&
			       st.holding[0].name.rfind("fiber ", 0) == 0 &&
			       st.holding[0].reason == "parked in fib_park";
		},
		60, &s))
		<< "not held by the parked fiber alone: " << s.raw << s.err << graft_log(t.pid());
	// Resumed, it returns from the old fib_park.
	EXPECT_EQ(t.ask("release"), "released 1");
	if (GetParam() == "ucontext") {
		// fib-target's ucontext fiber then yields for good and its stack is freed; it
		// tells graft through graft_context_unregister, which a program that started
		// without graft cannot find (libgraft.so is not in its global scope): the
		// context keeps holding the transition (docs/usage.md, attach limits).
		return;
	}
	EXPECT_TRUE(wait_no_transition(t.pid(), 60, &s)) << s.raw << s.err;
	EXPECT_EQ(t.ask("mismatches"), "mismatches 0");
}

INSTANTIATE_TEST_SUITE_P(Kinds, AttachFibers, ::testing::Values("boost", "ucontext"),
			 [](const auto &info) { return info.param; });

} // namespace
