// SPDX-License-Identifier: MIT
// attach_audit.cpp - the attach's audit record (attach_audit.hpp).
#include "attach_audit.hpp"

#include <unistd.h>

#include "attach.hpp"
#include "cli.hpp"
#include "control/protocol.hpp"
#include "trail/record.hpp"

namespace graft::cli {

AttachAudit::AttachAudit(pid_t pid)
    : pid_(pid)
{
	char buf[4096];
	ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof(buf));
	// Unreadable (another user's process, for a non-root graft): its name still says
	// which program was meant.
	exe_ = n > 0 ? std::string(buf, size_t(n)) : "(" + comm_of(pid) + ")";
}

void AttachAudit::refused(const std::string &message)
{
	to_syslog(message);
}

bool AttachAudit::report(int timeout_sec)
{
	json r;
	try {
		r = request_at(control_socket_of(pid_), pid_,
			       json{{control::field::cmd, control::cmd::attached}}, timeout_sec);
	} catch (const Failure &) {
		return false;
	}
	if (!flag(r, control::field::ok))
		to_syslog("ok");
	return true;
}

void AttachAudit::to_syslog(const std::string &result)
{
	trail::AuditRecord r;
	r.time_usec = trail::now_usec();
	r.action = "attach";
	r.result = result;
	r.client_uid = geteuid(); // as SO_PEERCRED gives it to the runtime
	r.client_pid = getpid();
	r.pid = pid_;
	r.exe = exe_;
	trail::audit_syslog(r);
}

} // namespace graft::cli
