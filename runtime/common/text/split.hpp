// SPDX-License-Identifier: MIT
// split.hpp - splitting text into lines, fields and words without iostreams. A string
// stream brings the whole of libstdc++'s locale machinery into libgraft.so (which links
// libstdc++ statically): about 800 KB of text and its relocations, loaded into every
// preloaded process (docs/performance.md, "The floor of start-up and memory").
#pragma once

#include <string>
#include <vector>

namespace graft::text {

// The pieces of s between seps, as std::getline(stream, piece, sep) reads them: an
// empty s gives none, and a sep at the very end ends the last piece without a new one.
inline std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> pieces;
	size_t start = 0;
	while (start < s.size()) {
		size_t end = s.find(sep, start);
		if (end == std::string::npos)
			end = s.size();
		pieces.push_back(s.substr(start, end - start));
		start = end + 1;
	}
	return pieces;
}

// The words of s, separated by blanks (" \t\n\v\f\r"), as `stream >> word` reads them.
inline std::vector<std::string> words(const std::string &s)
{
	static const char *const kBlanks = " \t\n\v\f\r";
	std::vector<std::string> out;
	size_t start = s.find_first_not_of(kBlanks);
	while (start != std::string::npos) {
		size_t end = s.find_first_of(kBlanks, start);
		out.push_back(s.substr(start, end == std::string::npos ? end : end - start));
		start = s.find_first_not_of(kBlanks, end);
	}
	return out;
}

} // namespace graft::text
