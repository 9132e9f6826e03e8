// SPDX-License-Identifier: MIT
// record.cpp - an audit record's line and its syslog datagram (record.hpp).
#include "trail/record.hpp"

#include <cstdlib>

#include <syslog.h>
#include <time.h>

#include "os/syslog.hpp"

namespace graft::trail {
namespace {

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

int64_t now_usec()
{
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

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

bool audit_syslog(const AuditRecord &r)
{
	const char *sock = secure_getenv("GRAFT_SYSLOG_SOCKET");
	return os::syslog_send(sock && *sock ? sock : "/dev/log", LOG_AUTHPRIV | LOG_NOTICE,
			       "graft-audit", audit_line(r));
}

} // namespace graft::trail
