// SPDX-License-Identifier: MIT
// test_util.hpp - temporary directories and files for the control tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace graft::test {

// A fresh directory under /tmp, removed with everything in it at scope exit.
struct TempDir {
	std::string path;
	TempDir()
	{
		char tmpl[] = "/tmp/graft-ctl-test-XXXXXX";
		path = mkdtemp(tmpl);
	}
	~TempDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
	std::string file(const std::string &name, mode_t mode) const
	{
		std::string p = path + "/" + name;
		std::ofstream(p) << "not really ELF\n";
		chmod(p.c_str(), mode);
		return p;
	}
};

} // namespace graft::test
