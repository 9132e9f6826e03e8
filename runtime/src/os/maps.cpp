// SPDX-License-Identifier: MIT
// maps.cpp - parse /proc/self/maps into address ranges and protections.
#include "os/maps.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>
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

// Whether [p, end) ends with the text of name (a pseudo-path such as "[heap]").
template <size_t N> bool ends_with(const char *p, const char *end, const char (&name)[N])
{
	return size_t(end - p) >= N - 1 && std::memcmp(end - (N - 1), name, N - 1) == 0;
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
	m->heap = ends_with(p, end, "[heap]");
	m->stack = ends_with(p, end, "[stack]");
	return m->end > m->start;
}

// <linux/fs.h>'s PROCMAP_QUERY (Linux 6.11), spelled out: the build machine's headers may
// predate it, and the kernel answers an unknown ioctl with ENOTTY.
struct ProcmapQuery {
	__u64 size;
	__u64 query_flags;
	__u64 query_addr;
	__u64 vma_start;
	__u64 vma_end;
	__u64 vma_flags;
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 vma_name_size;
	__u32 build_id_size;
	__u64 vma_name_addr;
	__u64 build_id_addr;
};
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr __u64 kVmaReadable = 0x01, kVmaWritable = 0x02, kVmaExecutable = 0x04;

// /proc/self/maps kept open for query_mapping, and the process that opened it: in a fork
// child it would describe the parent.
int g_query_fd = -1;
pid_t g_query_pid = 0;
bool g_query_unavailable = false;

} // namespace

int query_mapping(uintptr_t addr, Mapping *out)
{
	if (g_query_unavailable)
		return -1;
	if (g_query_fd < 0 || g_query_pid != ::getpid()) {
		if (g_query_fd >= 0)
			::close(g_query_fd);
		g_query_pid = ::getpid();
		g_query_fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (g_query_fd < 0)
			return -1;
	}
	ProcmapQuery q;
	std::memset(&q, 0, sizeof q);
	q.size = sizeof q;
	q.query_addr = addr; // no flags: only the mapping that covers addr
	if (::ioctl(g_query_fd, kProcmapQuery, &q) != 0) {
		if (errno == ENOENT)
			return 0;
		g_query_unavailable = errno == ENOTTY || errno == EINVAL || errno == E2BIG;
		return -1;
	}
	*out = Mapping{};
	out->start = uintptr_t(q.vma_start);
	out->end = uintptr_t(q.vma_end);
	out->prot = (q.vma_flags & kVmaReadable ? PROT_READ : 0) |
		    (q.vma_flags & kVmaWritable ? PROT_WRITE : 0) |
		    (q.vma_flags & kVmaExecutable ? PROT_EXEC : 0);
	return 1;
}

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
