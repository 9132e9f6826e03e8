// SPDX-License-Identifier: MIT
// audit.cpp - the audit ring, the log line and the syslog record (audit.hpp).
#include "trust/audit.hpp"

#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "os/syslog.hpp"

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

std::string own_exe()
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

// Values with spaces are quoted, so each line splits back into key=value pairs.
std::string value(const std::string &v)
{
	if (!v.empty() && v.find_first_of(" \"") == std::string::npos)
		return v;
	std::string out = "\"";
	for (char c : v)
		out += c == '"' ? std::string("\\\"") : std::string(1, c);
	return out + "\"";
}

} // namespace

std::string audit_line(const AuditRecord &r)
{
	std::string process = r.exe.empty()
				      ? std::string()
				      : " pid=" + std::to_string(r.pid) + " exe=" + value(r.exe);
	return "action=" + r.action + " client_uid=" + std::to_string(r.client_uid) +
	       " client_pid=" + std::to_string(r.client_pid) + process +
	       " patch=" + value(r.patch) + " sha256=" + value(r.sha256) + " key=" + value(r.key) +
	       " result=" + value(r.result);
}

void audit_record(AuditRecord r)
{
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_usec = int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
	r.pid = getpid();
	r.exe = own_exe();
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
	const char *sock = secure_getenv("GRAFT_SYSLOG_SOCKET");
	os::syslog_send(sock && *sock ? sock : "/dev/log", LOG_AUTHPRIV | LOG_NOTICE, "graft-audit",
			audit_line(r));
}

std::vector<AuditRecord> audit_read()
{
	std::lock_guard<std::mutex> guard(audit_mutex);
	return {ring.begin(), ring.end()};
}

} // namespace graft::trust
