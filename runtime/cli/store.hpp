// SPDX-License-Identifier: MIT
// store.hpp - the patch store seen from the CLI (format: runtime/src/store/format.hpp):
// the manifest it keeps, the index it writes for the runtime, and `--all` over the
// machine's processes (fleet.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli.hpp"
#include "module_info.hpp"

namespace graft::cli {

struct StorePatch {
	std::string name; // the patch's name (module file name without .so)
	std::string file; // relative to the store: modules/NAME.so
	ModuleInfo info;
	std::vector<std::string> targets; // files that had its build-ids when installed
};

// --store DIR, else $GRAFT_STORE, else /var/lib/graft.
std::string store_dir(const std::string &option);

// The installed patches (empty when there is no store).
std::vector<StorePatch> read_manifest(const std::string &dir);

// Which processes `--all` addresses.
struct Selector {
	std::string exe;	 // --exe PATH: processes of this program
	std::string lib;	 // --lib NAME: processes mapping a library of this name
	std::string unit;	 // --unit NAME: processes of the systemd unit's cgroup
	std::string cgroup;	 // --cgroup DIR: processes of this control group
	std::vector<pid_t> pids; // PIDS: these processes only
	int jobs = 16;		 // processes handled at once
};

// A patch to put in processes: its name, its file (opened here and sent to each process
// as a descriptor: the process need not see the path), what it patches.
struct Fleet {
	std::string name;
	std::string path;
	ModuleInfo info;
};

int cmd_install(const std::string &store, const std::string &file,
		const std::vector<std::string> &targets, bool apply, const Selector &sel,
		const Options &opt);
int cmd_uninstall(const std::string &store, const std::string &name, const Options &opt);
int cmd_gc(const std::string &store, const Options &opt);
// apply --all: file, or every installed patch (from_store).
int cmd_apply_all(const std::string &store, const std::string &file, bool from_store,
		  const Selector &sel, const Options &opt);
int cmd_disable_all(const std::string &name, const Selector &sel, const Options &opt);
int cmd_status_all(const std::string &store, const Selector &sel, const Options &opt);
// history --all (history.cpp): the audit records of every selected process with a runtime.
int cmd_history_all(const Selector &sel, const Options &opt);
int cmd_preload(const std::string &verb, const Options &opt);

// Throws Failure when sel names what does not exist (a program, a unit that is not
// running, a directory that is no control group), or when the policy file's opt-outs
// cannot be read: install checks it before storing.
void check_selector(const Selector &sel);

// fleet.cpp: the processes matching sel, each patched with every fleet entry; prints a
// line (or a JSON record) per process and a summary; the exit code.
// extra: fields added to the JSON document (install's "store").
int apply_to_processes(const std::vector<Fleet> &patches, const Selector &sel, const Options &opt,
		       const json &extra = json::object());

// The manifest's record of an installed patch (also status --all --json's "store").
json to_json(const StorePatch &p);

// The build-id of an ELF file on disk ("" when none or unreadable): only for `gc`'s
// question "does an installed file still have it".
std::string file_build_id(const std::string &path);

} // namespace graft::cli
