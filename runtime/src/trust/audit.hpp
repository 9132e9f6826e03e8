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

#include "trail/record.hpp"

namespace graft::trust {

constexpr size_t kAuditKeep = 512;

using AuditRecord = trail::AuditRecord; // common/trail/record.hpp
using trail::audit_line;

// Records r (time, pid and exe filled in). For enable/disable/force/unload the patch's
// SHA-256 and key come from its load when r leaves them empty.
void audit_record(AuditRecord r);

// The records kept, oldest first.
std::vector<AuditRecord> audit_read();

// Attach mode (graft attach loaded the runtime): one attach record is owed, made when
// the attaching graft reports ("attached"). audit_take_attach is true once, then false.
void audit_expect_attach();
bool audit_take_attach();

} // namespace graft::trust
