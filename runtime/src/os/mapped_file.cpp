// SPDX-License-Identifier: MIT
// mapped_file.cpp - /proc/self/maps lines with their file identity, stat of a path.
#include "os/mapped_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace graft::os {
namespace {

uint64_t parse_num(const char *&p, int base)
{
	uint64_t v = 0;
	for (;; ++p) {
		char c = *p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99;
		if (d >= base)
			return v;
		v = v * uint64_t(base) + uint64_t(d);
	}
}

// "start-end perms offset major:minor inode   path" (NUL-terminated line).
bool parse(const char *p, MappedFile *m)
{
	m->start = parse_num(p, 16);
	if (*p++ != '-')
		return false;
	m->end = parse_num(p, 16);
	for (int field = 0; field < 2; field++) { // perms, offset
		p = std::strchr(p + 1, ' ');
		if (!p)
			return false;
	}
	unsigned long major = parse_num(++p, 16);
	if (*p++ != ':')
		return false;
	unsigned long minor = parse_num(p, 16);
	if (*p++ != ' ')
		return false;
	m->dev = makedev(major, minor);
	m->inode = parse_num(p, 10);
	return m->inode != 0;
}

} // namespace

bool read_mapped_files(std::vector<MappedFile> *out)
{
	out->clear();
	FILE *f = std::fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	char line[4096 + 128];
	while (std::fgets(line, sizeof line, f)) {
		MappedFile m;
		if (parse(line, &m))
			out->push_back(m);
		// A path longer than the buffer: skip the rest of that line.
		while (!std::strchr(line, '\n') && std::fgets(line, sizeof line, f)) {
		}
	}
	std::fclose(f);
	return true;
}

const MappedFile *find_mapped_file(const std::vector<MappedFile> &files, uintptr_t addr)
{
	for (const MappedFile &m : files)
		if (addr >= m.start && addr < m.end)
			return &m;
	return nullptr;
}

bool is_same_file(const std::string &path, const MappedFile &m)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && uint64_t(st.st_dev) == m.dev &&
	       uint64_t(st.st_ino) == m.inode;
}

std::string map_files_path(const MappedFile &m)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "/proc/self/map_files/%lx-%lx",
		      static_cast<unsigned long>(m.start), static_cast<unsigned long>(m.end));
	return buf;
}

} // namespace graft::os
