// SPDX-License-Identifier: MIT
// admission.cpp - the ptrace rule as a pure function (admission.hpp).
#include "trust/admission.hpp"

namespace graft::trust {
namespace {

std::string denied(uid_t uid, const std::string &because)
{
	return "permission denied: uid " + std::to_string(uid) +
	       " may not control this process (policy): " + because + "; only root may";
}

} // namespace

std::string admission_refusal(uid_t client_uid, gid_t client_gid, const os::ProcessCreds &self)
{
	if (client_uid == 0)
		return "";
	if (self.ruid != client_uid || self.euid != client_uid || self.suid != client_uid)
		return denied(client_uid, "it runs as uid " + std::to_string(self.euid) +
						  (self.ruid != self.euid || self.suid != self.euid
							   ? " (changed ids)"
							   : ""));
	if (self.rgid != client_gid || self.egid != client_gid || self.sgid != client_gid)
		return denied(client_uid, "its group ids are not the client's (gid " +
						  std::to_string(client_gid) + ")");
	if (self.secure)
		return denied(client_uid, "it runs in secure execution (setuid, setgid or "
					  "file capabilities)");
	if (!self.dumpable)
		return denied(client_uid, "it is not dumpable (prctl PR_SET_DUMPABLE 0), so "
					  "the kernel would refuse its user ptrace too");
	if (self.yama_scope > 0)
		return denied(client_uid,
			      "Yama ptrace_scope is " + std::to_string(self.yama_scope) +
				      ", so the kernel would refuse its user ptrace too");
	return "";
}

} // namespace graft::trust
