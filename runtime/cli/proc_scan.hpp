// SPDX-License-Identifier: MIT
// proc_scan.hpp - the processes of the machine as `--all` sees them: their mapped ELF
// objects with the build-id read from each object's PT_NOTE in the process's memory
// (/proc/PID/mem), never from the file (which may have been replaced on disk), and
// whether they carry the runtime.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace graft::cli {

struct ProcObject {
	std::string path;     // as mapped, without " (deleted)"
	std::string name;     // file name of path
	std::string soname;   // DT_SONAME read from memory, "" when none
	bool deleted = false; // the file was removed or replaced on disk since it was mapped
	bool is_main = false; // the executable
	std::string build_id; // from memory, "" when it has none (or it cannot be read)
};

struct ProcInfo {
	pid_t pid = 0;
	pid_t nspid = 0; // the pid inside its own pid namespace (NStgid)
	uid_t uid = 0;	 // effective uid
	std::string comm;
	std::vector<ProcObject> objects; // the executable first
	bool has_runtime = false;	 // libgraft.so is mapped
	bool on_demand = false;		 // ... and its control not started (attach.hpp)
	bool attached = false;		 // graft attached the runtime just now (--attach)
	std::string excluded;		 // why graft stays out of it ("" when it does not)
	bool secure = false;		 // in secure execution (setuid, setgid, capabilities)
	std::string error;		 // why it could not be read ("" when it could)

	const ProcObject *find(const std::string &name, bool main) const;
};

// The whole text of a (small) file, "" when it cannot be read: /proc files report a
// size of 0, so they are read to the end.
std::string read_text(const std::string &path);

// Every pid in /proc but this process's own, ascending.
std::vector<pid_t> list_pids();

// Reads one process (objects and all). Never throws for a vanished or unreadable
// process: error says why.
ProcInfo scan_process(pid_t pid);

// Where pid's runtime listens, reached through /proc/PID/root so that a private /tmp or
// another mount namespace does not hide it: the process's GRAFT_RUNTIME_DIR,
// XDG_RUNTIME_DIR/graft or /tmp/graft-<uid>, and its pid inside its namespace. A
// runtime attached by `graft attach` listens where attach chose (control_socket_of):
// that is used when the first is absent.
std::string socket_of(const ProcInfo &proc);

} // namespace graft::cli
