// SPDX-License-Identifier: MIT
// log_test.cpp - the log ring: order, sequence numbers, overwrite, errno kept.
#include <gtest/gtest.h>

#include <cerrno>

#include "base/log.hpp"

using namespace graft;

TEST(Log, LinesComeBackInOrderWithSequenceNumbers)
{
	log::reset();
	log::printf("graft: first %d", 1);
	log::printf("graft: second\n");
	auto lines = log::read(0, 10);
	ASSERT_EQ(lines.size(), 2u);
	EXPECT_EQ(lines[0].seq, 1u);
	EXPECT_EQ(lines[0].text, "graft: first 1");
	EXPECT_EQ(lines[1].text, "graft: second") << "the trailing newline is dropped";
	EXPECT_LE(lines[0].usec, lines[1].usec);
	EXPECT_EQ(log::read(1, 10).size(), 1u);
}

TEST(Log, OldLinesAreOverwrittenNotReordered)
{
	log::reset();
	for (size_t i = 0; i < log::kRingLines + 10; i++)
		log::printf("line %zu", i);
	auto lines = log::read(0, log::kRingLines * 2);
	ASSERT_EQ(lines.size(), log::kRingLines);
	EXPECT_EQ(lines.front().seq, 11u) << "the 10 oldest lines are gone";
	EXPECT_EQ(lines.front().text, "line 10");
	EXPECT_EQ(lines.back().text, "line " + std::to_string(log::kRingLines + 9));
}

TEST(Log, KeepsErrnoAndCutsLongLines)
{
	log::reset();
	errno = EAGAIN;
	log::printf("%s", std::string(1000, 'x').c_str());
	EXPECT_EQ(errno, EAGAIN);
	auto lines = log::read(0, 1);
	ASSERT_EQ(lines.size(), 1u);
	EXPECT_EQ(lines[0].text.size(), log::kLineMax - 1);
}
