// SPDX-License-Identifier: MIT
// audit.hpp - the audit trail: every load, enable, disable, force, unload, refusal and
// attach, with who asked, to which process, which patch (name, SHA-256, signing key)
// and the outcome. Each record goes to the system log (LOG_AUTHPRIV, "graft-audit";
// /dev/log, or the datagram socket GRAFT_SYSLOG_SOCKET names, for tests) and to a ring
// of the last kAuditKeep records that `graft history` reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace graft::trust {

constexpr size_t kAuditKeep = 512;

struct AuditRecord {
	int64_t time_usec = 0; // CLOCK_REALTIME, filled in by audit_record
	std::string action;    // load, autoload (from the store), enable, disable, force,
			       // unload, attach, connect
	std::string result;    // "ok", or the refusal / failure message
	uid_t client_uid = 0;
	pid_t client_pid = 0;
	pid_t pid = 0;	    // the process itself, filled in
	std::string exe;    // its executable, filled in
	std::string patch;  // the patch's name ("" for attach, connect)
	std::string sha256; // of the patch file ("" when unknown)
	std::string key;    // the signing key's id ("" when unsigned)
};

// Records r (time, pid and exe filled in). For enable/disable/force/unload the patch's
// SHA-256 and key come from its load when r leaves them empty.
void audit_record(AuditRecord r);

// The records kept, oldest first.
std::vector<AuditRecord> audit_read();

// One line: "action=load client_uid=0 client_pid=.. pid=.. exe=.. patch=.. sha256=..
// key=.. result=ok" (pid and exe left out when exe is empty).
std::string audit_line(const AuditRecord &r);

} // namespace graft::trust
