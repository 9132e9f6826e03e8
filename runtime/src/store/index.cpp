// SPDX-License-Identifier: MIT
// index.cpp - mapping and searching the patch store's index. The index is replaced by
// rename(), never written in place, so a mapping always sees one whole version.
#include "store/index.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace graft::store {

std::string untrusted(const std::string &path, bool want_dir)
{
	struct stat st;
	if (lstat(path.c_str(), &st) != 0)
		return "cannot access '" + path + "': " + strerror(errno);
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return "'" + path + "' is not a " + (want_dir ? "directory" : "regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return "'" + path + "' is owned by uid " + std::to_string(st.st_uid) +
		       ", not by root or this process's user";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "'" + path + "' is writable by group or others";
	return {};
}

bool Index::open(const std::string &dir, std::string *why)
{
	dir_ = dir;
	std::string path = dir + "/" + kIndexFile;
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			*why = "cannot open '" + path + "': " + strerror(errno);
		return false;
	}
	std::string problem = untrusted(dir, true);
	if (problem.empty())
		problem = untrusted(dir + "/" + kModulesDir, true);
	if (problem.empty())
		problem = untrusted(path, false);
	struct stat st;
	if (problem.empty() && fstat(fd, &st) != 0)
		problem = "cannot stat '" + path + "'";
	if (problem.empty() && size_t(st.st_size) < sizeof(IndexHeader))
		problem = "'" + path + "' is truncated";
	void *map = MAP_FAILED;
	if (problem.empty())
		map = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
	::close(fd);
	if (!problem.empty() || map == MAP_FAILED) {
		*why = problem.empty() ? "cannot map '" + path + "': " + strerror(errno) : problem;
		return false;
	}
	base_ = map;
	size_ = size_t(st.st_size);
	auto *h = static_cast<const IndexHeader *>(map);
	uint64_t need =
		sizeof(IndexHeader) + uint64_t(h->count) * sizeof(IndexEntry) + h->strings_size;
	if (std::memcmp(h->magic, kIndexMagic, sizeof(kIndexMagic)) != 0 ||
	    h->version != kIndexVersion || need != size_ || h->strings_size == 0 ||
	    static_cast<const char *>(map)[size_ - 1] != '\0') {
		*why = "'" + path + "' is not a graft store index of version " +
		       std::to_string(kIndexVersion) + " (rewrite it with 'graft install')";
		munmap(base_, size_);
		base_ = nullptr;
		return false;
	}
	entries_ = reinterpret_cast<const IndexEntry *>(h + 1);
	count_ = h->count;
	strings_ = reinterpret_cast<const char *>(entries_ + count_);
	strings_size_ = h->strings_size;
	return true;
}

Index::~Index()
{
	if (base_)
		munmap(base_, size_);
}

Match Index::match_of(const IndexEntry &e) const
{
	auto at = [this](uint32_t off) { return off < strings_size_ ? strings_ + off : ""; };
	return Match{dir_ + "/" + at(e.file), at(e.object), e.order};
}

std::vector<Match> Index::find_build_id(const std::string &hex) const
{
	std::vector<Match> out;
	uint8_t id[kMaxBuildIdBytes];
	uint32_t len = 0;
	if (!base_ || !parse_build_id(hex, id, &len))
		return out;
	const IndexEntry *end = entries_ + count_;
	const IndexEntry *it = std::lower_bound(entries_, end, 0, [&](const IndexEntry &e, int) {
		return compare_id(e.id, e.id_len, id, len) < 0;
	});
	for (; it != end && compare_id(it->id, it->id_len, id, len) == 0; ++it)
		out.push_back(match_of(*it));
	return out;
}

std::vector<Match> Index::find_object(const std::string &name) const
{
	std::vector<Match> out;
	for (uint32_t i = 0; base_ && i < count_; i++)
		if (entries_[i].object < strings_size_ && name == strings_ + entries_[i].object)
			out.push_back(match_of(entries_[i]));
	return out;
}

} // namespace graft::store
