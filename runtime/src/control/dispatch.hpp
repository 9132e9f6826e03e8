// SPDX-License-Identifier: MIT
// dispatch.hpp - one request line in, one reply line out: parses the JSON, checks it,
// calls the core (graft::core api.hpp) and renders the reply. Never throws.
#pragma once

#include <string>
#include <string_view>

#include <sys/types.h>

namespace graft::control {

struct Reply {
	std::string line;   // the JSON reply, without the newline
	bool close = false; // the request was not understood: drop the connection
};

// Who sent the request (SO_PEERCRED) and the descriptor that came with it (SCM_RIGHTS),
// -1 if none; the caller closes it after the request.
struct Client {
	uid_t uid = 0;
	gid_t gid = 0;
	pid_t pid = 0;
	int fd = -1;
};

// Handles one request (the line without its newline). process_euid is used for the
// patch-file check of `load`.
Reply handle_request(std::string_view line, const Client &client, uid_t process_euid);
// The same for a client of the process's own user, without a descriptor.
Reply handle_request(std::string_view line, uid_t process_euid);

// The reply to a request that could not even be read (e.g. too long).
std::string error_reply(const std::string &error);
// The same, marked busy (field::busy): the client may ask again (the bound on clients).
std::string busy_reply(const std::string &error);

} // namespace graft::control
