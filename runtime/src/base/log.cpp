// SPDX-License-Identifier: MIT
// log.cpp - the runtime log ring and its mirror.
#include "base/log.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>
#include <unistd.h>

namespace graft::log {
namespace {

struct Slot {
	uint64_t seq;
	uint64_t usec;
	char text[kLineMax];
};

// ring_lock protects ring, next_seq and mirror_fd. Held only to copy a formatted line
// in or out; never taken from a signal handler.
std::mutex ring_lock;
Slot ring[kRingLines];
uint64_t next_seq = 1;
int mirror_fd = -1;

uint64_t now_usec()
{
	static const uint64_t start = [] {
		timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
	}();
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000 - start;
}

void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = ::write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= size_t(n);
	}
}

} // namespace

void vprintf(const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char text[kLineMax];
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	size_t len = n < 0 ? 0 : std::min(size_t(n), sizeof(text) - 1);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	uint64_t usec = now_usec();
	{
		std::lock_guard<std::mutex> guard(ring_lock);
		Slot &line = ring[(next_seq - 1) % kRingLines];
		line.seq = next_seq++;
		line.usec = usec;
		memcpy(line.text, text, len + 1);
		if (mirror_fd >= 0) {
			char out[kLineMax + 48];
			int m = snprintf(out, sizeof(out), "[%5llu.%06llu] %s\n",
					 (unsigned long long)(usec / 1000000),
					 (unsigned long long)(usec % 1000000), text);
			if (m > 0)
				write_all(mirror_fd, out, std::min(size_t(m), sizeof(out) - 1));
		}
	}
	errno = saved_errno;
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void set_mirror_fd(int fd)
{
	std::lock_guard<std::mutex> guard(ring_lock);
	mirror_fd = fd;
}

std::vector<Line> read(uint64_t after, size_t max)
{
	std::vector<Line> out;
	std::lock_guard<std::mutex> guard(ring_lock);
	uint64_t oldest = next_seq > kRingLines ? next_seq - kRingLines : 1;
	for (uint64_t seq = std::max(after + 1, oldest); seq < next_seq && out.size() < max;
	     seq++) {
		const Slot &line = ring[(seq - 1) % kRingLines];
		out.push_back(Line{line.seq, line.usec, line.text});
	}
	return out;
}

void before_fork()
{
	ring_lock.lock(); // released by after_fork_parent / after_fork_child
}

void after_fork_parent()
{
	ring_lock.unlock();
}

void after_fork_child()
{
	ring_lock.unlock(); // the forking thread took it; it is this thread in the child
}

void reset()
{
	std::lock_guard<std::mutex> guard(ring_lock);
	next_seq = 1;
}

} // namespace graft::log

extern "C" GRAFT_API void graft_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	graft::log::vprintf(fmt, ap);
	va_end(ap);
}
