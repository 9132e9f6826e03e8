// SPDX-License-Identifier: MIT
// test_text_split.cpp - text::split and text::words read text as the string streams they
// replaced did (std::getline with a separator, operator>> for words), which the policy,
// graft.conf, minisign and trusted-comment parsers rely on.
#include <gtest/gtest.h>

#include <sstream>

#include "text/split.hpp"

namespace graft::text {
namespace {

std::vector<std::string> by_getline(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::istringstream in(s);
	for (std::string piece; std::getline(in, piece, sep);)
		out.push_back(piece);
	return out;
}

std::vector<std::string> by_extraction(const std::string &s)
{
	std::vector<std::string> out;
	std::istringstream in(s);
	for (std::string word; in >> word;)
		out.push_back(word);
	return out;
}

const char *const kSamples[] = {
	"",	 ",",  ",,",	 "a",	   "a,",      ",a", "a,,b",   "a,b,c",		 " a , b ",
	"a,b,,", "\n", "x\ny\n", "x\n\ny", "\ta b\n", "  ", "a\r\nb", "one two\tthree\n"};

TEST(TextSplit, SplitsAsGetlineDoes)
{
	for (const char *s : kSamples) {
		EXPECT_EQ(split(s, ','), by_getline(s, ',')) << "'" << s << "'";
		EXPECT_EQ(split(s, '\n'), by_getline(s, '\n')) << "'" << s << "'";
	}
}

TEST(TextSplit, WordsAsExtractionReadsThem)
{
	for (const char *s : kSamples)
		EXPECT_EQ(words(s), by_extraction(s)) << "'" << s << "'";
}

} // namespace
} // namespace graft::text
