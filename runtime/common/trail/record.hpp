// SPDX-License-Identifier: MIT
// record.hpp - one record of the audit trail (security.md) and how it is written to the
// system log, shared by the runtime (trust/audit.cpp: every request it serves) and the
// graft command (the attach attempts, made before there is a runtime to record them).
#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

namespace graft::trail {

struct AuditRecord {
	int64_t time_usec = 0; // CLOCK_REALTIME
	std::string action;    // load, autoload (from the store), enable, disable, force,
			       // unload, attach, connect
	std::string result;    // "ok", or the refusal / failure message
	uid_t client_uid = 0;
	pid_t client_pid = 0;
	pid_t pid = 0;	    // the process acted on
	std::string exe;    // its executable
	std::string patch;  // the patch's name ("" for attach, connect)
	std::string sha256; // of the patch file ("" when unknown)
	std::string key;    // the signing key's id ("" when unsigned)
};

// Now, in microseconds since the epoch (CLOCK_REALTIME).
int64_t now_usec();

// One line: "action=load client_uid=0 client_pid=.. pid=.. exe=.. patch=.. sha256=..
// key=.. result=ok" (pid and exe left out when exe is empty). Values with spaces or
// quotes are quoted, so each line splits back into key=value pairs.
std::string audit_line(const AuditRecord &r);

// Sends audit_line(r) to the system log: facility authpriv, tag graft-audit, one
// datagram to /dev/log or to the socket GRAFT_SYSLOG_SOCKET names (secure_getenv; the
// tests use it). False when no log listens there.
bool audit_syslog(const AuditRecord &r);

} // namespace graft::trail
