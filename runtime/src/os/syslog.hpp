// SPDX-License-Identifier: MIT
// syslog.hpp - one message to the system log (/dev/log, which the journal reads) on a
// socket of graft's own: syslog(3) would share, and reconfigure, the program's
// connection and ident.
#pragma once

#include <string>

namespace graft::os {

// Sends "<priority>tag[pid]: message" as one datagram to the socket at path (/dev/log);
// false when no log listens there.
bool syslog_send(const char *path, int priority, const std::string &tag,
		 const std::string &message);

} // namespace graft::os
