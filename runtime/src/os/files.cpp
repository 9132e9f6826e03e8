// SPDX-License-Identifier: MIT
// files.cpp - reading files whose owner and mode are checked first (files.hpp).
#include "os/files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace graft::os {
namespace {

// Fills text (sized by the caller) from fd's start; false on a read error or a short file.
bool read_all(int fd, std::string *text)
{
	size_t done = 0;
	while (done < text->size()) {
		ssize_t n = pread(fd, text->data() + done, text->size() - done, off_t(done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += size_t(n);
	}
	return true;
}

} // namespace

std::string trust_problem(const struct stat &st, uid_t euid, const std::string &what)
{
	if (S_ISDIR(st.st_mode))
		return what + " is a directory";
	if (!S_ISREG(st.st_mode))
		return what + " is not a regular file";
	if (st.st_uid != 0 && st.st_uid != euid)
		return what + " is owned by uid " + std::to_string(st.st_uid) +
		       ", not by root or the process's user (uid " + std::to_string(euid) +
		       "): chown it";
	bool group = st.st_mode & S_IWGRP, others = st.st_mode & S_IWOTH;
	if (group && others)
		return what + " is writable by group and others: chmod go-w it";
	if (others)
		return what + " is writable by others: chmod go-w it";
	if (group)
		return what + " is writable by its group: chmod g-w it";
	return "";
}

int open_read(const std::string &path, bool follow_last, std::string *why)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
	if (fd < 0)
		*why = strerror(errno);
	return fd;
}

FileRead read_trusted_file(const std::string &path, uid_t euid, size_t max, std::string *text,
			   std::string *why)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return FileRead::missing;
		*why = "cannot open '" + path + "': " + strerror(errno);
		return FileRead::error;
	}
	struct stat st;
	std::string problem = fstat(fd, &st) != 0 ? "cannot stat '" + path + "'"
						  : trust_problem(st, euid, "'" + path + "'");
	if (problem.empty() && size_t(st.st_size) > max)
		problem = "'" + path + "' is larger than " + std::to_string(max) + " bytes";
	text->assign(problem.empty() ? size_t(st.st_size) : 0, '\0');
	if (problem.empty() && !read_all(fd, text))
		problem = "cannot read '" + path + "'";
	close(fd);
	if (!problem.empty()) {
		*why = problem;
		return FileRead::error;
	}
	return FileRead::ok;
}

bool read_file(const std::string &path, size_t max, std::string *text, std::string *why)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open '" + path + "': " + strerror(errno);
		return false;
	}
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && size_t(st.st_size) <= max;
	if (ok) {
		text->assign(size_t(st.st_size), '\0');
		ok = read_all(fd, text);
	}
	close(fd);
	if (!ok)
		*why = "cannot read '" + path + "' (not a regular file, larger than " +
		       std::to_string(max) + " bytes, or a read error)";
	return ok;
}

std::vector<std::string> dir_entries(const std::string &dir, const std::string &suffix)
{
	std::vector<std::string> names;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return names;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.size() > suffix.size() &&
		    n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
			names.push_back(n);
	}
	closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

} // namespace graft::os
