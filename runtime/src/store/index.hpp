// SPDX-License-Identifier: MIT
// index.hpp - the runtime's read-only view of the patch store's index (format.hpp):
// mapped once, searched by binary search (a build-id) or a scan (an object name).
#pragma once

#include <string>
#include <vector>

#include "store/format.hpp"

namespace graft::store {

struct Match {
	std::string file;   // absolute path of the module
	std::string object; // the graft_object.name it was filed for ("" = the executable)
	uint32_t order = 0; // load order (by module name)
};

class Index {
public:
	// Maps dir/index. False and *why when it cannot be used; *why is empty when the
	// store simply does not exist (the common case: nothing to say).
	bool open(const std::string &dir, std::string *why);
	~Index();
	bool is_open() const { return base_ != nullptr; }
	// The entries filed under this build-id (lowercase hex).
	std::vector<Match> find_build_id(const std::string &hex) const;
	// The entries filed for an object of this name (file name or soname).
	std::vector<Match> find_object(const std::string &name) const;

private:
	Match match_of(const IndexEntry &e) const;

	std::string dir_;
	void *base_ = nullptr;
	size_t size_ = 0;
	const IndexEntry *entries_ = nullptr;
	uint32_t count_ = 0;
	const char *strings_ = nullptr;
	uint32_t strings_size_ = 0;
};

// Why path (a store file or directory) may not be trusted by a process running as euid:
// "" when it is owned by root or euid and not writable by group or others.
std::string untrusted(const std::string &path, bool want_dir);

} // namespace graft::store
