// SPDX-License-Identifier: MIT
// protocol.hpp - the control protocol shared by the runtime's control server and the
// `graft` CLI: where the socket lives, how big a message may be, the JSON field names.
//
// Transport: one Unix stream socket per process, <dir>/<pid>.sock. Each message is one
// JSON object on one line ("\n"-terminated). A client sends a request, the server sends
// exactly one reply; a connection may carry several requests in turn.
//
//   request  {"v":1,"cmd":"load","path":"/abs/fix.so","enable":true,"signature":"..."}
//            the patch file's descriptor rides along (SCM_RIGHTS) and is what is
//            verified and mapped; "signature" is the text of its .minisig (optional:
//            without it the runtime reads path + ".minisig" if there is one)
//            {"v":1,"cmd":"enable"|"disable"|"unload","name":"fix"}
//            {"v":1,"cmd":"list"}
//            {"v":1,"cmd":"log","after":N,"max":M}
//            {"v":1,"cmd":"info"}
//            {"v":1,"cmd":"status"}      the running transition, or "transition":null
//            {"v":1,"cmd":"force"}       finish the running transition at once
//            {"v":1,"cmd":"history"}     the audit records kept (security.md)
//            {"v":1,"cmd":"attached"}    from graft attach, once the runtime it loaded
//                                        answers: recorded once as action=attach
//   reply    {"v":1,"ok":true, ...command's fields}
//            {"v":1,"ok":false,"error":"one line naming the cause and the fix"}
//
// Header-only and free of the runtime's other headers so the CLI can include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sys/types.h>
#include <unistd.h>

namespace graft::control {

constexpr int kProtocolVersion = 1;

// A request line (without its newline) longer than this is refused and the connection
// closed: requests are tiny, so anything bigger is a confused or hostile client.
constexpr size_t kMaxRequestBytes = 64 * 1024;
// Replies can be large (`list` of a 1,000-function patch is ~150 KiB); the client reads
// at most this much before giving up.
constexpr size_t kMaxReplyBytes = 16 * 1024 * 1024;

// `log`: lines returned when the request has no "max", and the most one reply carries.
constexpr size_t kLogDefaultMax = 256;
constexpr size_t kLogHardMax = 1024;

// Field names.
namespace field {
constexpr const char *version = "v";
constexpr const char *cmd = "cmd";
constexpr const char *path = "path";
constexpr const char *enable = "enable";
constexpr const char *name = "name";
constexpr const char *after = "after";
constexpr const char *max = "max";
constexpr const char *ok = "ok";
constexpr const char *error = "error";
constexpr const char *busy = "busy"; // true in the refusal of a client past the bound: retry
// reply of `list`
constexpr const char *patches = "patches"; // also `info`: the number of patches
constexpr const char *enabled = "enabled";
constexpr const char *transition = "transition";
constexpr const char *replace = "replace";
constexpr const char *replaced = "replaced";
constexpr const char *stack_order = "stack_order";
constexpr const char *objects = "objects";
constexpr const char *loaded = "loaded";
constexpr const char *patched = "patched";
constexpr const char *funcs = "funcs";
constexpr const char *sympos = "sympos";
constexpr const char *old_addr = "old_addr";
constexpr const char *new_addr = "new_addr";
constexpr const char *entry_kind = "entry_kind";
constexpr const char *active = "active";
constexpr const char *shadow_types = "shadow_types"; // [{id, users, variables}]
constexpr const char *id = "id";
constexpr const char *users = "users";
constexpr const char *variables = "variables";
// reply of `status` ("transition": the object below, or null) and `force`
constexpr const char *patch = "patch";
constexpr const char *direction = "direction"; // "patching" / "unpatching"
constexpr const char *threads_total = "threads_total";
constexpr const char *threads_switched = "threads_switched";
constexpr const char *elapsed_usec = "elapsed_usec";
constexpr const char *holding = "holding"; // [{tid, name, reason}]
constexpr const char *tid = "tid";
constexpr const char *reason = "reason";
// reply of `log`
constexpr const char *lines = "lines";
constexpr const char *seq = "seq";
constexpr const char *usec = "usec";
constexpr const char *text = "text";
// `load` (request) and `history`
constexpr const char *signature = "signature";
constexpr const char *records = "records"; // [{time_usec, action, result, ...}]
constexpr const char *time_usec = "time_usec";
constexpr const char *action = "action";
constexpr const char *result = "result";
constexpr const char *client_uid = "client_uid";
constexpr const char *client_pid = "client_pid";
constexpr const char *sha256 = "sha256";
constexpr const char *key = "key";
// reply of `info`
constexpr const char *pid = "pid";
constexpr const char *exe = "exe";
constexpr const char *runtime_version = "runtime_version";
} // namespace field

// Commands.
namespace cmd {
constexpr const char *load = "load";
constexpr const char *enable = "enable";
constexpr const char *disable = "disable";
constexpr const char *unload = "unload";
constexpr const char *list = "list";
constexpr const char *log = "log";
constexpr const char *info = "info";
constexpr const char *status = "status";
constexpr const char *force = "force";
constexpr const char *history = "history";
constexpr const char *attached = "attached";
} // namespace cmd

// The socket directory from the environment values given (either may be null or
// empty): $GRAFT_RUNTIME_DIR, else $XDG_RUNTIME_DIR/graft, else /tmp/graft-<uid>.
inline std::string runtime_dir_from(const char *graft_runtime_dir, const char *xdg_runtime_dir,
				    uid_t uid)
{
	if (graft_runtime_dir && *graft_runtime_dir)
		return graft_runtime_dir;
	if (xdg_runtime_dir && *xdg_runtime_dir)
		return std::string(xdg_runtime_dir) + "/graft";
	return "/tmp/graft-" + std::to_string(uid);
}

// The CLI's view: plain getenv. (The runtime uses secure_getenv instead, so a
// setuid program ignores the caller's environment and falls back to /tmp/graft-<euid>.)
inline std::string runtime_dir()
{
	return runtime_dir_from(std::getenv("GRAFT_RUNTIME_DIR"), std::getenv("XDG_RUNTIME_DIR"),
				geteuid());
}

inline std::string socket_path(const std::string &dir, pid_t pid)
{
	return dir + "/" + std::to_string(pid) + ".sock";
}

// The abstract socket a runtime listens on when it cannot make its socket file (a
// read-only or missing runtime directory: systemd's ProtectSystem=strict with a private
// /tmp, a container's read-only root). Abstract names live in the network namespace,
// which processes of several pid namespaces may share, so the name carries the pid
// namespace's inode with the pid the process has in it. No leading NUL here: the
// callers add it. Anyone in the network namespace may bind or connect to such a name;
// the runtime admits clients by their credentials and the CLI checks that the
// server is the process (SO_PEERCRED), as for the socket file.
inline std::string abstract_socket_name(unsigned long long pidns_inode, pid_t ns_pid)
{
	return "graft/" + std::to_string(pidns_inode) + "/" + std::to_string(ns_pid);
}

// The pid a socket file name stands for ("1234.sock" -> 1234), or -1.
inline pid_t pid_of_socket_name(std::string_view name)
{
	constexpr std::string_view suffix = ".sock";
	if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
		return -1;
	name.remove_suffix(suffix.size());
	if (name.size() > 9 || name[0] == '0')
		return -1;
	pid_t pid = 0;
	for (char c : name) {
		if (c < '0' || c > '9')
			return -1;
		pid = pid * 10 + (c - '0');
	}
	return pid;
}

// The patch's name as the runtime derives it: the file name without ".so".
inline std::string patch_name_of(std::string_view path)
{
	size_t slash = path.rfind('/');
	if (slash != std::string_view::npos)
		path.remove_prefix(slash + 1);
	if (path.size() > 3 && path.substr(path.size() - 3) == ".so")
		path.remove_suffix(3);
	return std::string(path);
}

} // namespace graft::control
