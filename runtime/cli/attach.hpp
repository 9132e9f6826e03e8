// SPDX-License-Identifier: MIT
// attach.hpp - loading the runtime into a running process (`graft attach`): the
// preflight, the injection and the wait for the control socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "attach_target.hpp"

namespace graft::cli {

// What the injection needs, found by the preflight.
struct AttachPlan {
	pid_t pid = 0;
	ProcStatus status;
	ProcMaps maps;
	std::map<std::string, uintptr_t> libc; // absolute addresses of the functions used
	std::string lib_path;		       // libgraft.so as the target sees it ("" = memfd)
	std::string lib_local;		       // libgraft.so as we see it
	std::string runtime_dir;	       // where the runtime puts its socket
	int timeout_sec = 30;		       // the command's --timeout
};

struct InjectStats {
	pid_t hijacked = 0;    // the application thread that was borrowed
	long syscall = -1;     // what it was blocked in (-1: running)
	double stopped_us = 0; // how long it was stopped
	double total_ms = 0;   // the whole attach
};

// Injects the runtime per plan; throws Failure (the target restored) on every error.
void inject(const AttachPlan &plan, InjectStats *stats);

// The libc functions the injection calls.
extern const char *const kInjectFunctions[];
extern const size_t kInjectFunctionCount;

// Attaches if the runtime is absent, or starts the control socket and thread of a
// runtime preloaded with control on demand (the same injection: its graft_attach_boot
// starts them). Returns true if it did, false if the runtime already answered; throws
// Failure (with the refusal's cause and fix).
bool attach_process(pid_t pid, int timeout_sec, InjectStats *stats);

// Whether pid maps the runtime, preloaded with control on demand and not started yet
// (or inert): a command must start its control first (attach_process).
bool control_waits(pid_t pid);

struct Options;
// `graft ps --all` (ps_all.cpp).
int ps_all(const Options &opt);

// The control socket of pid's runtime as this process can reach it (through
// /proc/PID/root when the target has another root or mount namespace).
std::string control_socket_of(pid_t pid);

} // namespace graft::cli
