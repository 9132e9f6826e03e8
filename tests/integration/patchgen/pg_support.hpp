// SPDX-License-Identifier: MIT
// pg_support.hpp - patchgen integration tests: a copy of a test program's source tree,
// built once through graft-cc with the compiler under test and "deployed" (copied out),
// graft-patchgen runs on it, and the deployed program runs under graft.
#pragma once

#include "process.hpp"

#include <string>

namespace graft::test {

class PgTree {
public:
	// Copies source (a directory of the repository) to a fresh directory, builds it
	// with `make` through graft-cc, copies the programs listed to deploy/.
	// normal_build: built with the compiler under test itself, not graft-cc (a program
	// deployed from an ordinary build).
	PgTree(const std::string &source, const std::vector<std::string> &deploy,
	       bool normal_build = false);
	~PgTree();
	const std::string &dir() const { return dir_; }
	std::string deployed(const std::string &name) const { return root_ + "/deploy/" + name; }
	std::string module(const std::string &fix) const { return root_ + "/" + fix + ".so"; }
	// Runs graft-patchgen --src on the tree with fixes/<fix>.patch.
	CmdResult generate(const std::string &fixes, const std::string &fix,
			   const std::string &target) const;
	bool ok() const { return ok_; }
	const std::string &error() const { return error_; }

private:
	std::string root_, dir_, error_;
	bool ok_ = false;
};

// The directory of this test's sources (cases, fixes).
std::string pg_source_dir();

} // namespace graft::test
