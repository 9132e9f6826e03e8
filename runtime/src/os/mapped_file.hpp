// SPDX-License-Identifier: MIT
// mapped_file.hpp - which file a mapping of this process comes from, and how to read
// that very file when the path it was loaded from now names another one (a package
// upgrade, a relink) or nothing (deleted).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace graft::os {

struct MappedFile {
	uintptr_t start = 0, end = 0; // the mapping containing the address
	uint64_t dev = 0, inode = 0;  // its file's identity, as /proc/self/maps gives it
};

// Every file mapping of this process (one read of /proc/self/maps). False if unreadable.
bool read_mapped_files(std::vector<MappedFile> *out);

// The one of files that contains addr; nullptr if none.
const MappedFile *find_mapped_file(const std::vector<MappedFile> &files, uintptr_t addr);

// Whether path names the file of m (same device and inode) right now.
bool is_same_file(const std::string &path, const MappedFile &m);

// /proc/self/map_files/START-END: the mapped file itself, whatever happened to its
// path. Opening it needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN (proc(5)).
std::string map_files_path(const MappedFile &m);

} // namespace graft::os
