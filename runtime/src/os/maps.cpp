// SPDX-License-Identifier: MIT
// maps.cpp - parse /proc/self/maps into address ranges and protections.
#include "os/maps.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace graft::os {
namespace {

uintptr_t parse_hex(const char *&p, const char *end)
{
	uintptr_t v = 0;
	for (; p < end; ++p) {
		char c = *p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | uintptr_t(d);
	}
	return v;
}

// One line: "start-end perms offset dev inode   path".
bool parse_line(const char *p, const char *end, Mapping *m)
{
	m->start = parse_hex(p, end);
	if (p >= end || *p++ != '-')
		return false;
	m->end = parse_hex(p, end);
	if (p + 5 > end || *p++ != ' ')
		return false;
	m->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		  (p[2] == 'x' ? PROT_EXEC : 0);
	static constexpr char kHeap[] = "[heap]";
	size_t n = size_t(end - p);
	m->heap = n >= sizeof(kHeap) - 1 &&
		  std::memcmp(end - (sizeof(kHeap) - 1), kHeap, sizeof(kHeap) - 1) == 0;
	return m->end > m->start;
}

} // namespace

bool read_maps(std::vector<Mapping> *out)
{
	out->clear();
	int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[8192];
	size_t have = 0;
	bool ok = true;
	for (;;) {
		ssize_t r = ::read(fd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ok = false;
			break;
		}
		have += size_t(r);
		size_t used = 0;
		// Complete lines only; a partial last line waits for the next read.
		for (;;) {
			char *nl = static_cast<char *>(std::memchr(buf + used, '\n', have - used));
			if (!nl)
				break;
			Mapping m;
			if (parse_line(buf + used, nl, &m))
				out->push_back(m);
			used = size_t(nl - buf) + 1;
		}
		std::memmove(buf, buf + used, have - used);
		have -= used;
		if (r == 0 || (used == 0 && have == sizeof(buf)))
			break; // end of file (or an absurdly long line: stop)
	}
	::close(fd);
	return ok && !out->empty();
}

} // namespace graft::os
