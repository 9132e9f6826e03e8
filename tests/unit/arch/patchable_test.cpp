// SPDX-License-Identifier: MIT
// patchable_test.cpp - -fpatchable-function-entry=16,14 sites: GCC (90 90) and Clang
// (66 90) entries, with and without endbr64, and one built by the test compiler.
#include <gtest/gtest.h>

#include <cstring>

#include "arch_test_util.hpp"

using namespace graft::arch;
using namespace arch_test;

extern "C" int repl_answer(int x);

namespace {

struct PfeCase {
	const char *name;
	Fn fn;
	const void *end;
	int add;	    // original answer: x + add
	unsigned entry_nop; // offset of the 2-byte entry NOP (4 after endbr64)
};

const PfeCase kPfe[] = {
	{"pfe_gcc", pfe_gcc, pfe_gcc_end, 1001, 0},
	{"pfe_clang", pfe_clang, pfe_clang_end, 1002, 0},
	{"pfe_gcc_endbr", pfe_gcc_endbr, pfe_gcc_endbr_end, 1003, 4},
	{"pfe_clang_endbr", pfe_clang_endbr, pfe_clang_endbr_end, 1004, 4},
};

class Patchable : public ::testing::TestWithParam<PfeCase> {};

TEST_P(Patchable, InstallCallOriginalRemove)
{
	const PfeCase &c = GetParam();
	std::string why;
	Site *s = prepare(c.fn, c.end, c.name, &why);
	ASSERT_NE(s, nullptr) << why;
	EXPECT_EQ(site_kind(s), EntryKind::patchable);
	EXPECT_EQ(site_original(s), addr(c.fn) + c.entry_nop + 2);
	auto before = bytes(addr(c.fn), 8);
	EXPECT_EQ(call(site_original(s), 1), 1 + c.add);
	site_set_target(s, addr(repl_answer));
	ASSERT_TRUE(install(s, &why)) << why;
	const uint8_t *e = reinterpret_cast<const uint8_t *>(c.fn) + c.entry_nop;
	EXPECT_EQ(e[0], 0xeb);
	EXPECT_EQ(int8_t(e[1]), -(14 + int(c.entry_nop) + 2)); // back to the padding's start
	EXPECT_EQ(call(addr(c.fn), 1), 9001);
	EXPECT_EQ(call(site_original(s), 1), 1 + c.add);
	// The transition thunk with the default hook leads to the original.
	site_set_target(s, site_transition(s));
	EXPECT_EQ(call(addr(c.fn), 2), 2 + c.add);
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_EQ(bytes(addr(c.fn), 8), before);
	EXPECT_EQ(call(addr(c.fn), 1), 1 + c.add);
	// Again: the padding jump is already there, the same Site is reused.
	EXPECT_EQ(prepare(c.fn, c.end, c.name, &why), s);
	site_set_target(s, addr(repl_answer));
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_EQ(call(addr(c.fn), 1), 9001);
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_EQ(bytes(addr(c.fn), 8), before);
}

INSTANTIATE_TEST_SUITE_P(Entries, Patchable, ::testing::ValuesIn(kPfe),
			 [](const auto &info) { return std::string(info.param.name); });

TEST(Patchable, CompiledWithFlag)
{
	std::string why;
	// Size from the compiler is unknown here; the pattern needs only the entry bytes.
	Site *s = site_prepare(addr(pfe_c_add), 16, "pfe_c_add", &why);
	ASSERT_NE(s, nullptr) << why;
	EXPECT_EQ(site_kind(s), EntryKind::patchable);
	site_set_target(s, addr(repl_answer));
	ASSERT_TRUE(install(s, &why)) << why;
	EXPECT_EQ(call(addr(pfe_c_add), 1), 9001);
	ASSERT_TRUE(remove(s, &why)) << why;
	EXPECT_EQ(call(addr(pfe_c_add), 1), 1006);
}

TEST(Patchable, BatchMixedWithDetours)
{
	std::string why;
	Site *sites[3] = {prepare(pfe_gcc, pfe_gcc_end, "pfe_gcc", &why),
			  prepare(pfe_clang, pfe_clang_end, "pfe_clang", &why),
			  prepare(corpus_frame, corpus_frame_end, "corpus_frame", &why)};
	for (Site *s : sites) {
		ASSERT_NE(s, nullptr) << why;
		site_set_target(s, addr(repl_answer));
	}
	ASSERT_TRUE(sites_install(sites, 3, &why)) << why;
	EXPECT_EQ(call(addr(pfe_gcc), 0), 9000);
	EXPECT_EQ(call(addr(pfe_clang), 0), 9000);
	EXPECT_EQ(call(addr(corpus_frame), 0), 9000);
	ASSERT_TRUE(sites_remove(sites, 3, &why)) << why;
	EXPECT_EQ(call(addr(pfe_gcc), 0), 1001);
	EXPECT_EQ(call(addr(pfe_clang), 0), 1002);
	EXPECT_EQ(call(addr(corpus_frame), 0), 600);
	for (Site *s : sites)
		site_set_target(s, site_original(s));
}

} // namespace
