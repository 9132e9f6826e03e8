// SPDX-License-Identifier: MIT
// comment.cpp - graft's trusted comment: name=, build-ids=, not-after= (minisign.hpp).
#include "text/split.hpp"
#include "minisign/minisign.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace graft::trust {
namespace {

bool all_digits(const std::string &s)
{
	if (s.empty() || s.size() > 18)
		return false;
	for (char c : s)
		if (!isdigit(static_cast<unsigned char>(c)))
			return false;
	return true;
}

bool is_build_id(const std::string &s)
{
	if (s.size() < 2 || s.size() > 128)
		return false;
	for (char c : s)
		if (!isxdigit(static_cast<unsigned char>(c)) ||
		    isupper(static_cast<unsigned char>(c)))
			return false;
	return true;
}

// "YYYY-MM-DD" (valid through that day, UTC) or Unix seconds.
bool parse_not_after(const std::string &v, int64_t *out)
{
	if (all_digits(v)) {
		*out = std::stoll(v);
		return true;
	}
	int y, m, d;
	char tail;
	if (v.size() != 10 || sscanf(v.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return false;
	tm t{};
	t.tm_year = y - 1900, t.tm_mon = m - 1, t.tm_mday = d;
	*out = int64_t(timegm(&t)) + 86400 - 1;
	return true;
}

std::vector<std::string> split(const std::string &s, char sep)
{
	return text::split(s, sep);
}

} // namespace

bool parse_trusted_comment(const std::string &text, TrustedComment *out, std::string *why)
{
	*out = TrustedComment{};
	for (const std::string &word : text::words(text)) {
		size_t eq = word.find('=');
		if (eq == std::string::npos)
			continue; // minisign's own "timestamp:..." words and free text
		std::string key = word.substr(0, eq), value = word.substr(eq + 1);
		if (key == "name") {
			out->name = value;
		} else if (key == "build-ids") {
			for (const std::string &id : split(value, ','))
				if (!id.empty() && !is_build_id(id)) {
					*why = "trusted comment: '" + id +
					       "' is not a build-id "
					       "(lowercase hex)";
					return false;
				} else if (!id.empty()) {
					out->build_ids.push_back(id);
				}
		} else if (key == "not-after") {
			if (!parse_not_after(value, &out->not_after)) {
				*why = "trusted comment: not-after '" + value +
				       "' is neither YYYY-MM-DD nor Unix seconds";
				return false;
			}
			out->has_not_after = true;
		}
	}
	return true;
}

std::string format_trusted_comment(const TrustedComment &c)
{
	std::string out = "name=" + c.name + " build-ids=";
	for (size_t i = 0; i < c.build_ids.size(); i++)
		out += (i ? "," : "") + c.build_ids[i];
	if (c.has_not_after)
		out += " not-after=" + std::to_string(c.not_after);
	return out;
}

} // namespace graft::trust
