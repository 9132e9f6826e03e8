// SPDX-License-Identifier: MIT
// threads.cpp - /proc/self/task readers (enumeration, syscall state, comm, status).
#include "os/threads.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace graft::os {
namespace {

// Reads /proc/self/task/TID/<leaf> into buf (NUL-terminated); length or -1.
ssize_t read_task_file(pid_t tid, const char *leaf, char *buf, size_t cap)
{
	char path[64];
	std::snprintf(path, sizeof path, "/proc/self/task/%d/%s", int(tid), leaf);
	int fd = ::open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r;
	do
		r = ::read(fd, buf, cap - 1);
	while (r < 0 && errno == EINTR);
	::close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

// Re-reads an open /proc file from its start (seq_file regenerates it at offset 0).
ssize_t reread(int fd, char *buf, size_t cap)
{
	ssize_t r;
	do
		r = ::pread(fd, buf, cap - 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return r;
}

int open_task_leaf(int dir, pid_t tid, const char *leaf)
{
	char path[64];
	if (dir < 0) {
		std::snprintf(path, sizeof path, "/proc/self/task/%d/%s", int(tid), leaf);
		return ::open(path, O_RDONLY | O_CLOEXEC);
	}
	std::snprintf(path, sizeof path, "%d/%s", int(tid), leaf);
	return ::openat(dir, path, O_RDONLY | O_CLOEXEC);
}

// Parses /proc/self/task/TID/syscall.
bool parse_kernel_state(char *buf, KernelState *out)
{
	*out = KernelState{};
	if (std::strncmp(buf, "running", 7) == 0)
		return true;
	// "nr arg1..arg6 sp pc" (7 args when nr >= 0) or "-1 sp pc".
	char *fields[9];
	int n = 0;
	for (char *save = nullptr, *tok = strtok_r(buf, " \n", &save); tok && n < 9;
	     tok = strtok_r(nullptr, " \n", &save))
		fields[n++] = tok;
	if (n < 3)
		return false;
	out->running = false;
	out->nr = std::strtol(fields[0], nullptr, 10);
	out->sp = std::strtoul(fields[n - 2], nullptr, 16);
	out->pc = std::strtoul(fields[n - 1], nullptr, 16);
	return true;
}

} // namespace

TaskDir::TaskDir()
    : fd_(::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC))
{
}

TaskDir::~TaskDir()
{
	if (fd_ >= 0)
		::close(fd_);
}

ThreadFiles::ThreadFiles(const TaskDir &dir, pid_t tid)
    : tid_(tid)
    , dir_(dir.fd())
{
	syscall_fd_ = open_task_leaf(dir_, tid_, "syscall");
}

ThreadFiles::~ThreadFiles()
{
	if (syscall_fd_ >= 0)
		::close(syscall_fd_);
	if (schedstat_fd_ >= 0)
		::close(schedstat_fd_);
}

bool ThreadFiles::kernel_state(KernelState *out)
{
	char buf[256];
	if (syscall_fd_ < 0 || reread(syscall_fd_, buf, sizeof buf) <= 0)
		return false;
	return parse_kernel_state(buf, out);
}

long ThreadFiles::run_count()
{
	if (schedstat_fd_ == -1) {
		schedstat_fd_ = open_task_leaf(dir_, tid_, "schedstat");
		if (schedstat_fd_ < 0)
			schedstat_fd_ = -2;
	}
	if (schedstat_fd_ < 0)
		return thread_context_switches(tid_);
	char buf[128];
	if (reread(schedstat_fd_, buf, sizeof buf) <= 0)
		return -1; // gone
	// "run_ns wait_ns pcount": pcount counts the times the thread was scheduled in.
	// strtoull, not sscanf: nothing here may take a lock.
	char *end = buf;
	for (int field = 0; field < 2; field++)
		std::strtoull(end, &end, 10);
	unsigned long long pcount = std::strtoull(end, nullptr, 10);
	if (pcount > 0)
		return long(pcount & 0x3fffffffffffffffull);
	// "0 0 0": the kernel keeps no scheduler statistics. Only the first read can see
	// that (a thread that exists has been scheduled in), so every count of this
	// thread comes from one source.
	::close(schedstat_fd_);
	schedstat_fd_ = -2;
	return thread_context_switches(tid_);
}

pid_t current_tid()
{
	return pid_t(::syscall(SYS_gettid));
}

bool list_threads(std::vector<pid_t> *tids)
{
	tids->clear();
	DIR *d = ::opendir("/proc/self/task");
	if (!d)
		return false;
	while (dirent *e = ::readdir(d)) {
		char *end = nullptr;
		long tid = std::strtol(e->d_name, &end, 10);
		if (end != e->d_name && *end == '\0' && tid > 0)
			tids->push_back(pid_t(tid));
	}
	::closedir(d);
	return !tids->empty();
}

bool thread_alive(pid_t tid)
{
	return ::syscall(SYS_tgkill, ::getpid(), tid, 0) == 0 || errno != ESRCH;
}

bool read_kernel_state(pid_t tid, KernelState *out)
{
	char buf[256];
	if (read_task_file(tid, "syscall", buf, sizeof buf) <= 0)
		return false;
	return parse_kernel_state(buf, out);
}

std::string thread_comm(pid_t tid)
{
	char buf[64];
	if (read_task_file(tid, "comm", buf, sizeof buf) <= 0)
		return "";
	buf[std::strcspn(buf, "\n")] = '\0';
	return buf;
}

bool thread_blocks_signal(pid_t tid, int sig)
{
	char buf[2048];
	if (read_task_file(tid, "status", buf, sizeof buf) <= 0)
		return false;
	const char *p = std::strstr(buf, "SigBlk:");
	if (!p)
		return false;
	unsigned long long mask = std::strtoull(p + 7, nullptr, 16);
	return sig >= 1 && sig <= 64 && (mask >> (sig - 1) & 1);
}

char thread_run_state(pid_t tid)
{
	char buf[2048];
	if (read_task_file(tid, "status", buf, sizeof buf) <= 0)
		return '?';
	const char *p = std::strstr(buf, "State:");
	if (!p)
		return '?';
	p += 6;
	while (*p == ' ' || *p == '\t')
		++p;
	return *p ? *p : '?';
}

bool on_alternate_signal_stack()
{
	stack_t ss;
	return ::sigaltstack(nullptr, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

long thread_context_switches(pid_t tid)
{
	char buf[4096]; // the ctxt lines come last, after the CPU masks
	if (read_task_file(tid, "status", buf, sizeof buf) <= 0)
		return -1;
	long total = 0;
	int found = 0;
	for (const char *key : {"\nvoluntary_ctxt_switches:", "\nnonvoluntary_ctxt_switches:"}) {
		const char *p = std::strstr(buf, key);
		if (!p)
			continue;
		total += std::strtol(p + std::strlen(key), nullptr, 10);
		found++;
	}
	return found == 2 ? total : -1;
}

} // namespace graft::os
