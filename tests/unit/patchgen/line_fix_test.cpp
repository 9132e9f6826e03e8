// SPDX-License-Identifier: MIT
// line_fix_test.cpp - #line injection keeps the lines after a change at their numbers.
#include <gtest/gtest.h>

#include "line_fix.hpp"

using namespace graft::patchgen;

TEST(PatchgenLineFix, AddsLineAfterEachChangeAndRecounts)
{
	std::string in = "--- a/f.c\n+++ b/f.c\n@@ -10,4 +10,5 @@\n int f(void)\n {\n-\treturn "
			 "1;\n+\tint x = 2;\n+\treturn x;\n }\n";
	std::string want = "--- a/f.c\n+++ b/f.c\n@@ -10,4 +10,6 @@\n int f(void)\n {\n-\treturn "
			   "1;\n+\tint x = 2;\n+\treturn x;\n+#line 13\n }\n";
	EXPECT_EQ(fix_patch_lines(in), want);
}

TEST(PatchgenLineFix, LaterHunksMoveByTheAddedLines)
{
	std::string in = "--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n@@ -20,2 +20,2 "
			 "@@\n-d\n+e\n f\n";
	std::string out = fix_patch_lines(in);
	EXPECT_NE(out.find("@@ -1,2 +1,3 @@\n-a\n+b\n+#line 2\n c\n"), std::string::npos) << out;
	EXPECT_NE(out.find("@@ -20,2 +21,3 @@\n-d\n+e\n+#line 21\n f\n"), std::string::npos) << out;
}

TEST(PatchgenLineFix, LeavesOtherFilesAndMacroContinuationsAlone)
{
	std::string other = "--- a/README\n+++ b/README\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n";
	EXPECT_EQ(fix_patch_lines(other), other);
	std::string macro =
		"--- a/f.h\n+++ b/f.h\n@@ -1,2 +1,2 @@\n-#define X 1 \\\n+#define X 2 \\\n \t+ 1\n";
	EXPECT_EQ(fix_patch_lines(macro), macro);
}
