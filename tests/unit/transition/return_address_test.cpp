// SPDX-License-Identifier: MIT
// return_address_test.cpp - the scans' return-address rule (follows_call) over the call
// encodings of call_corpus.S and over calls this build's compiler made (call_sites.c).
#include <gtest/gtest.h>

#include <cstdint>

#include "transition/stack_check.hpp"

extern "C" {
extern const uintptr_t graft_corpus_rets[];
extern const uintptr_t graft_corpus_not_rets[];
extern char graft_corpus_lo[];
extern uintptr_t cs_ret, cs_slot;
long cs_probe(long x);
long cs_call_direct(long x);
long cs_call_register(long x);
struct cs_ops;
extern struct cs_ops cs_table[];
long cs_call_memory(struct cs_ops *ops, long x);
}

using graft::transition::follows_call;

namespace {

uintptr_t lo()
{
	return reinterpret_cast<uintptr_t>(graft_corpus_lo);
}

TEST(ReturnAddressRule, EveryCallEncodingOfTheCorpusIsRecognised)
{
	int n = 0;
	for (const uintptr_t *r = graft_corpus_rets; *r; r++, n++)
		EXPECT_TRUE(follows_call(*r, lo())) << "corpus call #" << n + 1;
	EXPECT_EQ(n, 18);
}

TEST(ReturnAddressRule, AddressesAfterOtherInstructionsAreNot)
{
	for (const uintptr_t *r = graft_corpus_not_rets; *r; r++)
		EXPECT_FALSE(follows_call(*r, lo())) << std::hex << *r - lo();
}

TEST(ReturnAddressRule, NoByteBelowTheRangeIsRead)
{
	// After the corpus's E8 call: with the range starting at the call it counts; starting
	// one byte later, the E8 is out of range and is not read.
	uintptr_t first = graft_corpus_rets[0];
	EXPECT_TRUE(follows_call(first, first - 5));
	EXPECT_FALSE(follows_call(first, first - 4));
}

TEST(ReturnAddressRule, CallsTheCompilerMade)
{
	cs_call_direct(1);
	EXPECT_TRUE(follows_call(cs_ret, reinterpret_cast<uintptr_t>(cs_call_direct)));
	cs_call_register(1);
	EXPECT_TRUE(follows_call(cs_ret, reinterpret_cast<uintptr_t>(cs_call_register)));
	cs_call_memory(cs_table, 1);
	EXPECT_TRUE(follows_call(cs_ret, reinterpret_cast<uintptr_t>(cs_call_memory)));
	// A function's own entry is no return address (a function pointer on a stack).
	EXPECT_FALSE(follows_call(reinterpret_cast<uintptr_t>(cs_probe),
				  reinterpret_cast<uintptr_t>(cs_probe) - 64));
}

} // namespace
