// SPDX-License-Identifier: MIT
// files.hpp - files that decide what runs in the process (policy, keys, patches): read
// only when their owner and mode say nobody but root or the process's user could have
// written them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/types.h>

namespace graft::os {

// Why a file with this stat is unsafe to trust ("" if it is fine): not a regular file,
// owned by someone other than root or euid, writable by group or others. what names it
// in the message ("patch file '/x.so'").
std::string trust_problem(const struct stat &st, uid_t euid, const std::string &what);

// Opens path read-only and close-on-exec (the descriptor a patch is verified and mapped
// from); follow_last: whether a final symlink is followed. -1 with *why on failure.
int open_read(const std::string &path, bool follow_last, std::string *why);

enum class FileRead { ok, missing, error };

// Reads a small trusted file (at most max bytes) without following a final symlink;
// missing when it does not exist, error with *why otherwise.
FileRead read_trusted_file(const std::string &path, uid_t euid, size_t max, std::string *text,
			   std::string *why);

// Reads a whole regular file of at most max bytes, following symlinks (/proc/self/fd/N
// names a patch the runtime verified), with no check of its owner: for files already
// trusted or whose content decides nothing. False with *why otherwise.
bool read_file(const std::string &path, size_t max, std::string *text, std::string *why);

// The names in dir ending with suffix, sorted; empty when dir cannot be read.
std::vector<std::string> dir_entries(const std::string &dir, const std::string &suffix);

} // namespace graft::os
