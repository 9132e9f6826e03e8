// SPDX-License-Identifier: MIT
// attach.cpp - `graft attach PID`: the preflight (every refusal is decided here, from
// /proc, before the target is touched), then the injection (attach_inject.cpp), then
// the wait for the runtime's control socket. Every attempt is audited (attach_audit.hpp).
#include "attach.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include <sys/stat.h>
#include <unistd.h>

#include "attach_audit.hpp"
#include "cli.hpp"
#include "control/protocol.hpp"
#include "optout.hpp"

namespace graft::cli {
namespace {

using Clock = std::chrono::steady_clock;

Failure refuse(const std::string &msg)
{
	return Failure{kExitFailed, msg};
}

std::string pid_s(pid_t pid)
{
	return std::to_string(pid);
}

void check_state(pid_t pid, const ProcStatus &st)
{
	if (st.tracer)
		throw refuse("process " + pid_s(pid) + " is already traced by process " +
			     pid_s(st.tracer) + " (" + comm_of(st.tracer) +
			     "): detach that debugger or tracer first");
	if (st.state == 'T' || st.state == 't')
		throw refuse("process " + pid_s(pid) +
			     " is stopped: continue it first (kill -CONT " + pid_s(pid) + ")");
	if (st.state == 'Z' || st.state == 'X')
		throw Failure{kExitFailed, "no process " + pid_s(pid), true};
	if (geteuid() != 0 && (st.uid != getuid() || st.euid != geteuid()))
		throw refuse("not permitted to attach to process " + pid_s(pid) + " of user " +
			     std::to_string(st.uid) + ": run graft as that user or as root");
}

// libc and the functions the injection calls, read from the file the process maps.
void find_libc(AttachPlan *p)
{
	if (p->maps.musl)
		throw refuse("process " + pid_s(p->pid) +
			     " uses musl, not glibc: graft supports glibc only");
	if (p->maps.libc.path.empty())
		throw refuse("process " + pid_s(p->pid) +
			     " maps no libc.so.6: it is statically linked or does not use glibc, "
			     "and graft can attach only to dynamically linked glibc programs");
	std::vector<std::string> names(kInjectFunctions, kInjectFunctions + kInjectFunctionCount);
	auto fns = dynamic_functions(p->maps.libc.open_path, names);
	if (fns.empty())
		fns = dynamic_functions("/proc/" + pid_s(p->pid) + "/root" + p->maps.libc.path,
					names);
	if (!fns.count("dlopen"))
		throw refuse("process " + pid_s(p->pid) + "'s C library (" + p->maps.libc.path +
			     ") has no dlopen: glibc 2.34 or later is needed");
	for (const std::string &n : names) {
		if (!fns.count(n))
			throw refuse("process " + pid_s(p->pid) + "'s C library lacks " + n);
		p->libc[n] = p->maps.libc.base + fns[n];
	}
}

bool same_file(const std::string &a, const std::string &b)
{
	struct stat sa, sb;
	return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

void choose_library(AttachPlan *p)
{
	p->lib_local = libgraft_path();
	if (access(p->lib_local.c_str(), R_OK) != 0)
		throw refuse("runtime library '" + p->lib_local +
			     "' not found: is graft installed?");
	if (same_file(p->lib_local, "/proc/" + pid_s(p->pid) + "/root" + p->lib_local))
		p->lib_path = p->lib_local; // else: a memfd copy
}

AttachPlan preflight(pid_t pid)
{
	AttachPlan p;
	p.pid = pid;
	if (pid == getpid())
		throw refuse("graft cannot attach to itself");
	if (!read_status(pid, &p.status))
		throw Failure{kExitFailed, "no process " + pid_s(pid), true};
	check_state(pid, p.status);
	if (std::string why = excluded_why(pid, p.status.ns_pid, p.status.euid); !why.empty())
		throw refuse("process " + pid_s(pid) + " is excluded (" + why +
			     "): graft does not attach to it");
	p.maps = read_maps(pid);
	// The kernel shows a process's maps only to who may read it (PTRACE_MODE_READ):
	// the same user is refused when the process is non-dumpable.
	if (!p.maps.readable)
		throw refuse("not permitted to read the memory map of process " + pid_s(pid) +
			     ": it is non-dumpable (it changed its user, or called "
			     "prctl(PR_SET_DUMPABLE, 0)): run graft as root (or with "
			     "CAP_SYS_PTRACE)");
	if (p.maps.has_runtime && has_control_thread(pid))
		throw refuse("process " + pid_s(pid) +
			     " has the graft runtime but its control "
			     "socket does not answer at '" +
			     control_socket_of(pid) +
			     "' (another GRAFT_RUNTIME_DIR or XDG_RUNTIME_DIR?): set the same "
			     "one for graft");
	find_libc(&p);
	if (p.maps.has_runtime) // preloaded, control on demand: its graft_attach_boot starts it
		p.lib_path = p.lib_local = p.maps.runtime_path;
	else
		choose_library(&p);
	p.runtime_dir = geteuid() == p.status.euid
				? control::runtime_dir()
				: control::runtime_dir_from(nullptr, nullptr, p.status.euid);
	return p;
}

bool answers(pid_t pid, int timeout_sec)
{
	try {
		json r = request_at(control_socket_of(pid), pid,
				    json{{control::field::cmd, control::cmd::info}}, timeout_sec);
		return r[control::field::ok].get<bool>();
	} catch (const Failure &) {
		return false;
	}
}

// Until the new runtime answers. The probe is the attach's report itself: each request
// leaves a client thread in the process for a moment after its reply, which a
// transition started right after would count among the threads to switch.
void wait_answer(pid_t pid, int timeout_sec, AttachAudit *audit)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	while (!audit->report(2)) {
		if (Clock::now() > deadline)
			throw refuse("the runtime was loaded into process " + pid_s(pid) +
				     " but its control socket '" + control_socket_of(pid) +
				     "' does not answer (see the process's stderr)");
		usleep(10 * 1000);
	}
}

} // namespace

std::string control_socket_of(pid_t pid)
{
	ProcStatus st;
	if (!read_status(pid, &st))
		return control::socket_path(control::runtime_dir(), pid);
	std::string dir = geteuid() == st.euid
				  ? control::runtime_dir()
				  : control::runtime_dir_from(nullptr, nullptr, st.euid);
	std::string path = control::socket_path(dir, st.ns_pid);
	// Where we may not look into the process's root (not ours to trace), our own view
	// is the only one to try.
	if (same_filesystem_view(pid) ||
	    access(("/proc/" + pid_s(pid) + "/root/").c_str(), X_OK) != 0)
		return path;
	return "/proc/" + pid_s(pid) + "/root" + path;
}

bool control_waits(pid_t pid)
{
	return read_maps(pid).has_runtime && !has_control_thread(pid);
}

bool attach_process(pid_t pid, int timeout_sec, InjectStats *stats)
{
	if (!process_alive(pid))
		throw Failure{kExitFailed, "no process " + pid_s(pid), true};
	if (answers(pid, kQueryTimeoutSec))
		return false;
	AttachAudit audit(pid);
	try {
		AttachPlan plan = preflight(pid);
		plan.timeout_sec = timeout_sec;
		inject(plan, stats);
		wait_answer(pid, timeout_sec, &audit);
	} catch (const Failure &f) {
		audit.refused(f.message);
		throw;
	}
	return true;
}

int cmd_attach(pid_t pid, const Options &opt)
{
	InjectStats s;
	bool attached = attach_process(pid, opt.timeout_sec, &s);
	if (opt.json) {
		json j{{"ok", true}, {"pid", pid}, {"attached", attached}};
		if (attached)
			j.update(json{{"hijacked_tid", s.hijacked},
				      {"hijacked_syscall", s.syscall},
				      {"stopped_us", s.stopped_us},
				      {"total_ms", s.total_ms}});
		print_json(j);
		return kExitOk;
	}
	if (!attached) {
		std::cout << "process " << pid << " is already attached (it has the runtime)\n";
		return kExitOk;
	}
	char line[200];
	snprintf(line, sizeof(line),
		 "attached to process %d (thread %d stopped for %.0f us; %.1f ms in all)", int(pid),
		 int(s.hijacked), s.stopped_us, s.total_ms);
	std::cout << line << '\n';
	return kExitOk;
}

} // namespace graft::cli
