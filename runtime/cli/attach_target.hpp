// SPDX-License-Identifier: MIT
// attach_target.hpp - what `graft attach` reads about a process before touching it
// (all from /proc, nothing stopped): its state and tracer, its threads and what they
// are blocked in, its C library and the functions the injection calls there.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace graft::cli {

struct ProcStatus {
	std::string name;
	char state = '?';
	pid_t tracer = 0;
	uid_t uid = 0, euid = 0;
	pid_t ns_pid = 0; // the pid inside the process's own pid namespace
	int seccomp = 0;  // 0 none, 1 strict, 2 filter
};

// /proc/PID/status; false if the process does not exist.
bool read_status(pid_t pid, ProcStatus *st);
// The command name of a process ("?" if unknown).
std::string comm_of(pid_t pid);

struct ThreadInfo {
	pid_t tid = 0;
	char state = '?';
	long syscall = -2; // -1 running, -2 unknown
};
ThreadInfo thread_info(pid_t pid, pid_t tid);
std::vector<ThreadInfo> list_threads(pid_t pid);
// Whether the runtime's control thread ("graft-ctl") runs in the process. A process
// that maps libgraft.so without one was preloaded with control on demand (or its
// runtime is inert there): the first command starts it (attach.hpp).
bool has_control_thread(pid_t pid);

// The mapped objects of interest, from /proc/PID/maps.
struct Mapped {
	std::string path;      // as the process sees it
	std::string open_path; // where we can read it (/proc/PID/map_files/...)
	uintptr_t base = 0;    // address of file offset 0
};
struct ProcMaps {
	Mapped libc;
	bool musl = false;
	bool has_runtime = false; // libgraft.so is mapped
	std::string runtime_path; // where from, as the process sees it
	bool readable = false;	  // the kernel let us read it (ptrace read access)
};
ProcMaps read_maps(pid_t pid);

// Defined functions of an ELF's .dynsym, by name (first definition wins); empty when
// the file cannot be read. Addresses are st_value (add the base).
std::map<std::string, uintptr_t> dynamic_functions(const std::string &path,
						   const std::vector<std::string> &names);

// True if the process sees the same root directory and mount namespace as we do.
bool same_filesystem_view(pid_t pid);

} // namespace graft::cli
