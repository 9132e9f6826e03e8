// SPDX-License-Identifier: MIT
// cli.hpp - what the `graft` command's parts share: exit codes, the failure type,
// output helpers and the client side of the control protocol.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <nlohmann/json.hpp>

namespace graft::cli {

using json = nlohmann::json;

// Exit codes.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1; // refused or failed; the message says why
constexpr int kExitUsage = 2;
constexpr int kExitTransition = 3; // still in transition when the wait ended
constexpr int kExitUncovered = 4;  // --all: some matching processes have no runtime

// --timeout: how long load/enable/disable wait for the reply and then for the
// transition they started. Other requests get kQueryTimeoutSec for their reply.
constexpr int kDefaultTimeoutSec = 30;
constexpr int kQueryTimeoutSec = 10;

// Thrown by the commands, caught in main: exit code and one-line message.
struct Failure {
	int code;
	std::string message;
	bool process_gone = false; // the process does not exist (any more)
};

struct Options {
	bool json = false;
	int timeout_sec = kDefaultTimeoutSec;
	bool no_wait = false; // return once the transition has started
	bool attach = false;  // load: attach first if the process has no runtime
	bool dry_run = false; // install, apply --all, disable --all: report, change nothing
};

// "1234" -> 1234; anything else is a usage error.
pid_t parse_pid(const std::string &text);

// True if pid names a live process (a zombie counts as gone).
bool process_alive(pid_t pid);

// The runtime library of this installation: <dir of graft>/../lib/graft/libgraft.so
// when installed, <dir of graft>/../lib/libgraft.so in a build tree (canonical if it
// exists, else the installed path).
std::string libgraft_path();

// One request to pid's runtime, one reply. Throws Failure for everything that is not a
// reply (no such process, no runtime, timeout, process died); a reply with "ok":false
// is returned as is for the caller to word. send_fd, if not -1, is passed to the process
// with the request (SCM_RIGHTS): `load` sends the patch file. The socket must be served
// by pid itself (SO_PEERCRED), else Failure ("squats its socket").
json request(pid_t pid, const json &req, int timeout_sec, int send_fd = -1);

// Same, on an already known socket path (used by `graft ps`).
json request_at(const std::string &path, pid_t pid, const json &req, int timeout_sec,
		int send_fd = -1);

// The error text of an "ok":false reply.
std::string reply_error(const json &reply);

// Prints j on stdout as one line.
void print_json(const json &j);

// Lenient readers of reply fields: a missing or mistyped field reads as empty / 0 / false.
std::string str(const json &j, const char *key);
uint64_t num(const json &j, const char *key);
bool flag(const json &j, const char *key);
const json &array_of(const json &j, const char *key);

// After a request that started a transition of `patch` succeeded: waits for it to end
// (unless --no-wait), prints `done` or the reply with "complete" (--json) and returns
// 0, or 3 if it is still running when --timeout ends. `doing` is the direction the
// request started ("patching"/"unpatching"), used until the runtime reports one.
int finish_transition(pid_t pid, const std::string &patch, const std::string &doing, json reply,
		      const std::string &done, const Options &opt);

// Commands; each returns the exit code or throws Failure.
int cmd_run(const std::vector<std::string> &patches, const std::vector<std::string> &command,
	    const Options &opt);
int cmd_ps(const Options &opt, bool all);
int cmd_attach(pid_t pid, const Options &opt);
int cmd_load(pid_t pid, const std::string &file, bool enable, const Options &opt);
int cmd_named(const std::string &verb, pid_t pid, const std::string &name, const Options &opt);
int cmd_list(pid_t pid, const Options &opt);
int cmd_log(pid_t pid, bool follow, bool no_time, const Options &opt);
int cmd_status(pid_t pid, const Options &opt);
int cmd_force(pid_t pid, const Options &opt);
int cmd_history(pid_t pid, const Options &opt);
} // namespace graft::cli

namespace CLI {
class App;
}

namespace graft::cli {
// The system-wide commands (install, uninstall, gc, apply/disable/status --all,
// preload): declared on app by system_wide_args.cpp.
void declare_system_wide(CLI::App &app, Options &opt, std::function<int()> *action);
// keygen, sign, history (sign.cpp, history.cpp; security.md).
void declare_trust(CLI::App &app, Options &opt, std::function<int()> *action);
// --all, --exe, --lib, --jobs, --store on `status`, `disable` and `history` (no --store);
// whether --all was given; their --all forms (disable: NAME is the first positional).
void add_all_options(CLI::App *sub);
bool all_requested();
int run_status_all(const Options &opt);
int run_history_all(const Options &opt);
int run_disable_all(const std::string &name, const Options &opt);

} // namespace graft::cli
