// SPDX-License-Identifier: MIT
// pg_support.cpp - building and deploying the patchgen test programs.
#include "pg_support.hpp"

#include <stdlib.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace graft::test {

std::string pg_source_dir() { return PG_SOURCE_DIR; }

PgTree::PgTree(const std::string &source, const std::vector<std::string> &deploy,
	       bool normal_build)
{
	// The compilers under test: the ones this build uses (GCC in the gcc configuration,
	// Clang in the clang and asan ones).
	setenv("GRAFT_REAL_CC", PG_CC, 1);
	setenv("GRAFT_REAL_CXX", PG_CXX, 1);
	// Under sanitizers the runtime is instrumented and needs the program to be too.
	// In the environment, so that graft-patchgen's own builds use the same flags.
	if (*PG_SAN_FLAGS) {
		setenv("CFLAGS", "-O2 -g " PG_SAN_FLAGS, 1);
		setenv("CXXFLAGS", "-O2 -g " PG_SAN_FLAGS, 1);
		setenv("LDFLAGS", PG_SAN_FLAGS, 1);
	}
	char tmpl[] = "/tmp/graft-pgtest.XXXXXX";
	root_ = mkdtemp(tmpl);
	dir_ = root_ + "/tree";
	fs::copy(pg_source_dir() + "/" + source, dir_, fs::copy_options::recursive);
	std::string bin = out_dir() + "/bin";
	std::vector<std::string> make = {"make", "-s", "-C", dir_};
	if (normal_build) // CC from the environment: graft-patchgen's builds set their own
		setenv("CC", PG_CC, 1);
	else
		make.insert(make.end(), {"CC=" + bin + "/graft-cc", "CXX=" + bin + "/graft-c++"});
	CmdResult r = run(make, 300);
	if (r.status != 0) {
		error_ = "build failed: " + r.out + r.err;
		return;
	}
	fs::create_directories(root_ + "/deploy");
	for (const std::string &d : deploy)
		fs::copy_file(dir_ + "/" + d, root_ + "/deploy/" + d);
	ok_ = true;
}

PgTree::~PgTree()
{
	std::error_code ec;
	fs::remove_all(root_, ec);
}

CmdResult PgTree::generate(const std::string &fixes, const std::string &fix,
			   const std::string &target) const
{
	return run({out_dir() + "/bin/graft-patchgen", "--src", dir_, "--patch",
		    pg_source_dir() + "/" + fixes + "/" + fix + ".patch", "--build", "make -s", "--target",
		    deployed(target), "-o", module(fix)},
		   300);
}

} // namespace graft::test
