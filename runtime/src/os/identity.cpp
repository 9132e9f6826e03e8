// SPDX-License-Identifier: MIT
// identity.cpp - this process's executable, pid namespace and control groups (identity.hpp).
#include "os/identity.hpp"

#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

namespace graft::os {

namespace {

std::string read_exe_path()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return "";
	std::string path(buf, size_t(n));
	const std::string deleted = " (deleted)";
	if (path.size() > deleted.size() &&
	    path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
		path.resize(path.size() - deleted.size());
	return path;
}

} // namespace

// Read once: the executable changes only with execve, which starts everything again, and
// each readlink of /proc/self/exe cost the constructor a /proc lookup (up to 40 us for
// the first; four callers read it at every start).
std::string self_exe_path()
{
	static const std::string path = read_exe_path();
	return path;
}

std::string self_execfn()
{
	const char *fn = reinterpret_cast<const char *>(getauxval(AT_EXECFN));
	return fn ? fn : "";
}

bool self_secure()
{
	return getauxval(AT_SECURE) != 0;
}

unsigned long long self_pidns_inode()
{
	struct stat st;
	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

std::string self_cgroup()
{
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	std::string text;
	char buf[4096];
	for (ssize_t n; text.size() < 64 * 1024 && (n = read(fd, buf, sizeof(buf))) != 0;) {
		if (n < 0)
			break; // a partial text only makes a unit rule miss: it cannot throw
		text.append(buf, size_t(n));
	}
	close(fd);
	return text;
}

} // namespace graft::os
