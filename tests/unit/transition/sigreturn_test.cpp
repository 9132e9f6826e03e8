// SPDX-License-Identifier: MIT
// sigreturn_test.cpp - the precise stack check of a thread caught in the sigreturn
// trampoline. graft's SIGTRAP handler sends a thread that hit an int3 of an entry being
// patched to where the new instruction leads (a patchable entry's pad jump, a detour's
// stub: the first byte of a checked range), and only rt_sigreturn applies it. A thread
// that gets graft's signal between the two (preempted there, as in the fiber test under
// load) is unwound through the trampoline into a frame whose PC is the redirect target:
// judged as a return address (ip - 1), it lay outside the range, the walk ended there,
// and a thread logically inside the function (entered by a sibling jump, its caller's
// frame gone) was switched: Fibers.NoFiberMixesVersionsThroughASiblingCall saw a fiber
// run the old encoder and the new decoder. The interleaving is forced here with the trap
// flag: the handler returns with TF set, so a single-step SIGTRAP comes at the
// trampoline's first instruction, deterministically.
#include <gtest/gtest.h>

#include <signal.h>
#include <ucontext.h>

#include <cstdint>
#include <cstring>

#include "transition/stack_check.hpp"

namespace tr = graft::transition;

extern "C" void tr_redirecting_handler(int, siginfo_t *, void *);
extern "C" char tr_redirect_target[];

namespace {

constexpr greg_t kTrapFlag = 0x100;

// Set by the handlers, read by the test once they have run (same thread).
const tr::CheckSet *g_set;
ucontext_t *g_redirected; // the first handler's context, until its sigreturn
greg_t g_own_pc;	  // the PC the first signal interrupted
volatile sig_atomic_t g_checked;
uintptr_t g_trap_pc;
bool g_complete;
tr::CheckResult g_result;

// The single-step trap: the check, as graft's signal handler makes it; then the thread's
// own PC goes back into the redirected context, which the trampoline restores next.
void on_trap(int, siginfo_t *, void *ucv)
{
	auto *uc = static_cast<ucontext_t *>(ucv);
	uc->uc_mcontext.gregs[REG_EFL] &= ~kTrapFlag;
	if (g_checked)
		return;
	g_trap_pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
	g_complete = tr::check_own_stack_precisely(*g_set, g_trap_pc, &g_result);
	g_redirected->uc_mcontext.gregs[REG_RIP] = g_own_pc;
	g_checked = 1;
}

bool at_sigreturn_trampoline(uintptr_t pc)
{
	static const uint8_t kMovRax15[7] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00};
	return std::memcmp(reinterpret_cast<const void *>(pc), kMovRax15, sizeof kMovRax15) == 0;
}

} // namespace

// Called by tr_redirecting_handler: redirect the interrupted thread.
extern "C" void tr_redirect(int, siginfo_t *, void *ucv)
{
	g_redirected = static_cast<ucontext_t *>(ucv);
	g_own_pc = g_redirected->uc_mcontext.gregs[REG_RIP];
	g_redirected->uc_mcontext.gregs[REG_RIP] = greg_t(tr_redirect_target);
}

TEST(SignalFrames, AThreadInTheSigreturnTrampolineIsJudgedByThePcItReturnsTo)
{
	auto lo = reinterpret_cast<uintptr_t>(tr_redirect_target);
	tr::CheckSet set;
	set.add(lo, lo + 3, "tr_redirect_target");
	set.sort();
	ASSERT_TRUE(set.read_maps());
	g_set = &set;
	struct sigaction usr = {}, trap = {}, old_usr = {}, old_trap = {};
	usr.sa_sigaction = tr_redirecting_handler;
	usr.sa_flags = SA_SIGINFO;
	trap.sa_sigaction = on_trap;
	trap.sa_flags = SA_SIGINFO;
	ASSERT_EQ(sigaction(SIGUSR1, &usr, &old_usr), 0);
	ASSERT_EQ(sigaction(SIGTRAP, &trap, &old_trap), 0);
	raise(SIGUSR1);
	sigaction(SIGTRAP, &old_trap, nullptr);
	sigaction(SIGUSR1, &old_usr, nullptr);
	ASSERT_TRUE(g_checked) << "no single-step trap after the handler";
	ASSERT_TRUE(at_sigreturn_trampoline(g_trap_pc))
		<< "the trap did not come in the sigreturn trampoline: the interleaving is not "
		   "the one this test is about";
	ASSERT_TRUE(g_complete) << "the unwinder did not get through the trampoline";
	EXPECT_EQ(g_result.verdict, tr::Verdict::running_in)
		<< "a thread about to return to the first byte of a checked range was judged "
		   "clean";
}
