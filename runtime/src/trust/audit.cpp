// SPDX-License-Identifier: MIT
// audit.cpp - the audit ring and the attach owed (audit.hpp); a record's line and its
// syslog datagram are common/trail/record.cpp.
#include "trust/audit.hpp"
#include "os/identity.hpp"

#include <atomic>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include <unistd.h>

namespace graft::trust {
namespace {

struct Identity {
	std::string sha256, key;
};

// Taken only around the ring and the map; nothing else is called with it held except
// the log (whose lock is the innermost).
std::mutex audit_mutex;
std::deque<AuditRecord> ring;
std::map<std::string, Identity> loaded; // patch name -> its file's identity
std::atomic<bool> attach_owed{false};

} // namespace

void audit_record(AuditRecord r)
{
	r.time_usec = trail::now_usec();
	r.pid = getpid();
	r.exe = os::self_exe_path();
	{
		std::lock_guard<std::mutex> guard(audit_mutex);
		Identity &id = loaded[r.patch];
		if ((r.action == "load" || r.action == "autoload") && r.result == "ok")
			id = Identity{r.sha256, r.key};
		if (r.sha256.empty())
			r.sha256 = id.sha256;
		if (r.key.empty())
			r.key = id.key;
		if (r.action == "unload" && r.result == "ok")
			loaded.erase(r.patch);
		ring.push_back(r);
		if (ring.size() > kAuditKeep)
			ring.pop_front();
	}
	// Not in the runtime's log: that ring is bounded and read whole by tools and tests
	// that expect the patch lifecycle's lines only (the kernel's dmesg story).
	trail::audit_syslog(r);
}

std::vector<AuditRecord> audit_read()
{
	std::lock_guard<std::mutex> guard(audit_mutex);
	return {ring.begin(), ring.end()};
}

void audit_expect_attach()
{
	attach_owed = true;
}

bool audit_take_attach()
{
	return attach_owed.exchange(false);
}

} // namespace graft::trust
