// SPDX-License-Identifier: MIT
// checks.cpp - peer, patch-file and socket-directory checks of the control server.
#include "control/checks.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace graft::control {
namespace {

std::string quoted(const std::string &path)
{
	return "'" + path + "'";
}

// Why the mode/owner of a patch file is unsafe, or "" if it is fine.
std::string patch_file_problem(const std::string &path, const struct stat &st, uid_t euid)
{
	const std::string file = "patch file " + quoted(path);
	if (S_ISDIR(st.st_mode))
		return file + " is a directory, not a patch module";
	if (!S_ISREG(st.st_mode))
		return file + " is not a regular file";
	if (st.st_uid != 0 && st.st_uid != euid)
		return file + " is owned by uid " + std::to_string(st.st_uid) +
		       ", not by root or the process's user (uid " + std::to_string(euid) +
		       "): chown it";
	bool group = st.st_mode & S_IWGRP, others = st.st_mode & S_IWOTH;
	if (group && others)
		return file + " is writable by group and others: chmod go-w it";
	if (others)
		return file + " is writable by others: chmod go-w it";
	if (group)
		return file + " is writable by its group: chmod g-w it";
	return "";
}

} // namespace

bool peer_allowed(uid_t peer_uid, uid_t process_euid)
{
	return peer_uid == process_euid || peer_uid == 0;
}

std::string peer_refusal(uid_t peer_uid, uid_t process_euid)
{
	return "permission denied: uid " + std::to_string(peer_uid) +
	       " may not control this process (it runs as uid " + std::to_string(process_euid) +
	       "; only that user or root may)";
}

core::Result check_patch_file(const std::string &path, uid_t process_euid)
{
	if (path.empty())
		return core::Result::fail("no patch file given");
	if (path[0] != '/')
		return core::Result::fail("patch file " + quoted(path) +
					  " is not an absolute path");
	struct stat st;
	if (stat(path.c_str(), &st) != 0) {
		int err = errno;
		if (err == ENOENT || err == ENOTDIR)
			return core::Result::fail("patch file " + quoted(path) + " does not exist");
		return core::Result::fail("cannot access patch file " + quoted(path) + ": " +
					  strerror(err));
	}
	std::string problem = patch_file_problem(path, st, process_euid);
	if (!problem.empty())
		return core::Result::fail(problem);
	return {};
}

bool ensure_runtime_dir(const std::string &dir, uid_t euid, std::string *why)
{
	if (dir.empty() || dir[0] != '/') {
		*why = "runtime directory '" + dir + "' is not an absolute path";
		return false;
	}
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
		*why = "cannot create runtime directory '" + dir + "': " + strerror(errno);
		return false;
	}
	// lstat: a symlink planted by someone else must not redirect the socket.
	struct stat st;
	if (lstat(dir.c_str(), &st) != 0) {
		*why = "cannot access runtime directory '" + dir + "': " + strerror(errno);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		*why = "runtime directory '" + dir + "' is not a directory";
		return false;
	}
	if (st.st_uid != euid) {
		*why = "runtime directory '" + dir + "' belongs to uid " +
		       std::to_string(st.st_uid) + ", not to uid " + std::to_string(euid) +
		       ": remove it or set GRAFT_RUNTIME_DIR";
		return false;
	}
	if (st.st_mode & 077) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", unsigned(st.st_mode & 07777));
		*why = "runtime directory '" + dir + "' has mode " + mode +
		       ", open to other users: chmod 700 it";
		return false;
	}
	return true;
}

} // namespace graft::control
