// SPDX-License-Identifier: MIT
// settings.cpp - the syntax of graft.conf (settings.hpp).
#include "text/split.hpp"
#include "conf/settings.hpp"

#include "store/format.hpp"

namespace graft::conf {

std::string policy_path_from(const char *policy_env, const char *config_dir_env)
{
	if (policy_env && *policy_env)
		return policy_env;
	return store::config_dir_from(config_dir_env) + "/" + kPolicyFile;
}

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool parse_settings(const std::string &text, const std::string &path, const ApplySetting &apply,
		    std::string *why)
{
	int n = 0;
	for (std::string line : text::split(text, '\n')) {
		n++;
		line = trim(line.substr(0, line.find('#')));
		if (line.empty())
			continue;
		size_t eq = line.find('=');
		std::string problem = "expected 'key = value'";
		if (eq != std::string::npos &&
		    apply(trim(line.substr(0, eq)), trim(line.substr(eq + 1)), &problem))
			continue;
		*why = "policy " + path + " line " + std::to_string(n) + ": " + problem;
		return false;
	}
	return true;
}

} // namespace graft::conf
