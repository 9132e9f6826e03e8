// SPDX-License-Identifier: MIT
// log.hpp - the runtime log: an ordered in-memory ring (the process's "dmesg") that
// `graft log PID` reads, optionally mirrored to stderr or a file (GRAFT_LOG). The base
// library: every other concern may log, and it includes none of them.
//
// Lines are the kernel's livepatch catalogue with "graft: " for "livepatch: ". Writing
// a line keeps errno and never allocates; it takes a mutex, so it must not be called
// from a signal handler (nothing in graft logs from one).
#pragma once

#include <cstddef>
#include <cstdarg>
#include <cstdint>
#include <string>
#include <vector>

#include <graft/graft.h> // the ABI (graft_log() is defined with the log)

namespace graft::log {

// Appends one line (a trailing newline is dropped; longer than kLineMax is cut).
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

constexpr size_t kLineMax = 240; // bytes of text per line
constexpr size_t kRingLines = 2048;

// Where lines are mirrored: -1 none; else a file descriptor (stderr or GRAFT_LOG=FILE).
void set_mirror_fd(int fd);

// One line as `graft log` shows it.
struct Line {
	uint64_t seq = 0;  // 1, 2, ... in order of logging
	uint64_t usec = 0; // microseconds since the runtime started (dmesg-style)
	std::string text;
};

// Lines with seq > after, oldest first, at most max. Lines overwritten by newer ones are
// gone; the first returned seq then tells how many were lost.
std::vector<Line> read(uint64_t after, size_t max);

// Forget everything (fork child: a new process starts a new log).
void reset();

// Fork (core/init.cpp's pthread_atfork handlers): the ring's lock is held across fork,
// taken last (it is the innermost lock), so a child never inherits it locked by a
// thread that does not exist there.
void before_fork();
void after_fork_parent();
void after_fork_child();

} // namespace graft::log
