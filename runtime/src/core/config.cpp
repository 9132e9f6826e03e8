// SPDX-License-Identifier: MIT
// config.cpp - the GRAFT_* environment whitelist.
#include "core/config.hpp"

#include <cstdlib>
#include <string>

namespace graft::config {

Config read_env()
{
	Config cfg;
	if (const char *v = getenv("GRAFT_LOG"))
		cfg.log = v;
	if (const char *v = getenv("GRAFT_SIGNAL"))
		cfg.signal = atoi(v);
	if (const char *v = getenv("GRAFT_TEST_CONSISTENCY"))
		cfg.consistency = std::string(v) != "off";
	if (const char *v = getenv("GRAFT_TEST_FIBERS"))
		cfg.fibers = std::string(v) != "off";
	if (const char *v = getenv("GRAFT_TEST_FIBER_FENCE"))
		cfg.fiber_fence = std::string(v) != "off";
	if (const char *v = getenv("GRAFT_TEST_ENTRY_SWITCH"))
		cfg.entry_switch = v;
	if (const char *v = getenv("GRAFT_CONTROL")) {
		std::string c = v;
		cfg.control_at_start = c == "at-start";
		if (c != "at-start" && c != "on-demand")
			cfg.control_bad = c;
	}
	if (const char *v = getenv("GRAFT_PATCHES")) {
		std::string list = v;
		size_t start = 0;
		while (start <= list.size()) {
			size_t end = list.find(':', start);
			if (end == std::string::npos)
				end = list.size();
			if (end > start)
				cfg.patches.push_back(list.substr(start, end - start));
			start = end + 1;
		}
		// Called from the constructor before any thread of ours runs; the program's
		// own threads do not exist yet either (preloaded constructors run first).
		unsetenv("GRAFT_PATCHES");
	}
	return cfg;
}

} // namespace graft::config
