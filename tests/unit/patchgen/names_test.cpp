// SPDX-License-Identifier: MIT
// names_test.cpp - how symbols of two builds are matched: compiler numbering ignored,
// .cold parts found, temporaries never matched.
#include <gtest/gtest.h>

#include "differ.hpp"

using namespace graft::patchgen;

TEST(PatchgenNames, NumberingIsIgnored)
{
	EXPECT_EQ(normalize_name("calls.0"), normalize_name("calls.3"));
	EXPECT_EQ(normalize_name("f.isra.0"), normalize_name("f.isra.12"));
	EXPECT_EQ(normalize_name("f.constprop.0.isra.0"), normalize_name("f.constprop.1.isra.2"));
	EXPECT_NE(normalize_name("f.isra.0"), normalize_name("f.part.0"));
	EXPECT_EQ(normalize_name("work.calls"), "work.calls"); // Clang's static-local name
	EXPECT_EQ(normalize_name("_ZN6Widget3getEi"), "_ZN6Widget3getEi");
}

TEST(PatchgenNames, ColdPartsBelongToTheirFunction)
{
	EXPECT_EQ(cold_parent("ipa_check.cold"), "ipa_check");
	EXPECT_EQ(cold_parent("f.part.0.cold"), "f.part.0");
	EXPECT_EQ(cold_parent("_ZN6Widget3getEi.cold"), "_ZN6Widget3getEi");
	EXPECT_EQ(cold_parent("scale"), "");
}

TEST(PatchgenNames, CompilerTemporaries)
{
	EXPECT_TRUE(is_compiler_temporary("CSWTCH.12"));
	EXPECT_TRUE(is_compiler_temporary("__func__.3"));
	EXPECT_TRUE(is_compiler_temporary("DW.ref._ZTI8BadInput"));
	EXPECT_TRUE(is_compiler_temporary(".LC0"));
	EXPECT_FALSE(is_compiler_temporary("counter"));
	EXPECT_FALSE(is_compiler_temporary("_ZTI8BadInput"));
}
