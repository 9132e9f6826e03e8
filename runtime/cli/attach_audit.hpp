// SPDX-License-Identifier: MIT
// attach_audit.hpp - `graft attach` in the audit trail (security.md). Before the attach
// there is no runtime in the process to record anything, so the command records the
// attempt itself: a refusal or failure goes to the system log from here; a success is
// reported to the new runtime ("attached"), which records it in its history and the
// system log with this command's credentials (SO_PEERCRED), as it records every request.
#pragma once

#include <string>

#include <sys/types.h>

namespace graft::cli {

class AttachAudit {
public:
	// Taken before the attach: the process's executable, while it surely exists.
	explicit AttachAudit(pid_t pid);
	// The attach failed or was refused (message: the refusal as graft prints it).
	void refused(const std::string &message);
	// Reports the attach to the new runtime, which records it. False while the runtime
	// does not answer yet (the wait for its socket retries); when it answers but cannot
	// record it (an older runtime), the record goes to the system log from here.
	bool report(int timeout_sec);

private:
	void to_syslog(const std::string &result);

	pid_t pid_;
	std::string exe_;
};

} // namespace graft::cli
