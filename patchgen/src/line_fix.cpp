// SPDX-License-Identifier: MIT
// line_fix.cpp - #line injection into a unified diff (after the kernel's
// scripts/livepatch/fix-patch-lines).
#include "line_fix.hpp"

#include <regex>
#include <sstream>
#include <vector>

namespace graft::patchgen {

namespace {

bool c_like(const std::string &path)
{
	static const std::regex ext(R"(\.(c|h|cc|cpp|cxx|hh|hpp|hxx|C|H)$)");
	return std::regex_search(path, ext);
}

struct Hunk {
	long old_start = 0, old_len = 0, new_start = 0, new_len = 0;
	std::string tail; // text after the second @@
	std::vector<std::string> lines;
};

// Adds "+#line N" before the first context line after each run of changes; N is that
// context line's number in the old file. Not after a line continued with a backslash.
void fix_hunk(Hunk &h)
{
	std::vector<std::string> out;
	long old_no = h.old_start;
	bool in_change = false;
	std::string prev_new; // the previous line on the new side
	for (const std::string &l : h.lines) {
		char k = l.empty() ? ' ' : l[0];
		if (k == ' ' && in_change && (prev_new.empty() || prev_new.back() != '\\')) {
			out.push_back("+#line " + std::to_string(old_no));
			h.new_len++;
		}
		if (k == ' ' || k == '-')
			old_no++;
		if (k == ' ' || k == '+')
			prev_new = l.substr(1);
		in_change = k == '+' || k == '-' ? true : k == ' ' ? false : in_change;
		out.push_back(l);
	}
	h.lines = out;
}

std::string header(const Hunk &h)
{
	return "@@ -" + std::to_string(h.old_start) + "," + std::to_string(h.old_len) + " +" +
	       std::to_string(h.new_start) + "," + std::to_string(h.new_len) + " @@" + h.tail;
}

} // namespace

std::string fix_patch_lines(const std::string &patch)
{
	static const std::regex hunk_re(R"(^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$)");
	std::istringstream in(patch);
	std::ostringstream out;
	std::string line, file;
	Hunk h;
	bool in_hunk = false;
	long shift = 0; // lines added by earlier hunks of the same file
	auto flush = [&] {
		if (!in_hunk)
			return;
		long len_before = h.new_len;
		if (c_like(file))
			fix_hunk(h);
		h.new_start += shift;
		shift += h.new_len - len_before;
		out << header(h) << "\n";
		for (const std::string &l : h.lines)
			out << l << "\n";
		in_hunk = false;
	};
	long remaining_old = 0, remaining_new = 0;
	while (std::getline(in, line)) {
		std::smatch m;
		if (in_hunk && (remaining_old > 0 || remaining_new > 0) &&
		    (line.empty() || line[0] == ' ' || line[0] == '-' || line[0] == '+' ||
		     line[0] == '\\')) {
			if (line.empty() || line[0] == ' ' || line[0] == '-')
				remaining_old--;
			if (line.empty() || line[0] == ' ' || line[0] == '+')
				remaining_new--;
			h.lines.push_back(line.empty() ? " " : line);
			continue;
		}
		if (in_hunk && !line.empty() && line[0] == '\\') {
			h.lines.push_back(line);
			continue;
		}
		flush();
		if (std::regex_match(line, m, hunk_re)) {
			h = Hunk{};
			h.old_start = std::stol(m[1]);
			h.old_len = m[2].matched ? std::stol(m[2]) : 1;
			h.new_start = std::stol(m[3]);
			h.new_len = m[4].matched ? std::stol(m[4]) : 1;
			h.tail = m[5];
			remaining_old = h.old_len;
			remaining_new = h.new_len;
			in_hunk = true;
			continue;
		}
		if (line.rfind("+++ ", 0) == 0) {
			file = line.substr(4, line.find('\t') == std::string::npos
						      ? std::string::npos
						      : line.find('\t') - 4);
			shift = 0;
		}
		out << line << "\n";
	}
	flush();
	return out.str();
}

} // namespace graft::patchgen
