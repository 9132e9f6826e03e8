// SPDX-License-Identifier: MIT
// status_all.cpp - graft status --all: one record per process that has the runtime or
// maps an object a stored patch names: its objects (build-id from memory, deleted on
// disk or not), its patches and their states, and a verdict; then a summary.
#include <cstdio>
#include <mutex>

#include "control/protocol.hpp"
#include "fleet.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;

json object_record(const ProcObject &o)
{
	return {{"path", o.path},
		{"name", o.name},
		{"build_id", o.build_id},
		{"deleted", o.deleted}};
}

// The patches the runtime reports: [{name, state}]. A runtime whose control waits for a
// first command is started for it (ptrace, once: attach.hpp).
json runtime_patches(ProcInfo p, std::string *error)
{
	json out = json::array();
	try {
		start_control(&p, kQueryTimeoutSec);
		json r = request_at(socket_of(p), p.pid, {{field::cmd, control::cmd::list}},
				    kQueryTimeoutSec);
		for (const json &x : array_of(r, field::patches)) {
			std::string state = flag(x, field::enabled)    ? "enabled"
					    : flag(x, field::replaced) ? "replaced"
								       : "disabled";
			if (!str(x, field::transition).empty())
				state = "in-transition";
			out.push_back({{"name", str(x, field::name)}, {"state", state}});
		}
	} catch (const Failure &f) {
		*error = f.message;
	}
	return out;
}

bool enabled_in(const json &patches, const std::string &name)
{
	for (const json &p : patches)
		if (str(p, "name") == name && str(p, "state") == "enabled")
			return true;
	return false;
}

// present | absent | excluded | secure-exec | unreachable | on-demand (system-wide.md's
// status vocabulary): a secure-execution process is excluded, and said so by its own name.
const char *runtime_state(const ProcInfo &p, bool asked, const std::string &error)
{
	if (!p.excluded.empty())
		return p.secure ? "secure-exec" : "excluded";
	if (!p.has_runtime)
		return "absent";
	if (!asked)
		return "on-demand";
	return error.empty() ? "present" : "unreachable";
}

// The record of p, or null when neither the runtime nor a stored patch concerns it.
json record_of(const ProcInfo &p, const std::vector<StorePatch> &store)
{
	json objects = json::array(), notes = json::array();
	std::vector<std::string> applicable;
	bool other = false;
	for (const StorePatch &sp : store) {
		std::string why;
		Fit fit = fit_of(p, sp.info, &why);
		if (fit == Fit::applies)
			applicable.push_back(sp.name);
		if (fit == Fit::other_build) {
			other = true;
			notes.push_back(sp.name + ": " + why);
		}
		for (const ModuleObject &mo : sp.info.objects)
			if (const ProcObject *o = p.find(mo.name.value_or(""), !mo.name))
				objects.push_back(object_record(*o));
	}
	if (!p.has_runtime && applicable.empty() && !other)
		return nullptr;
	if (!p.excluded.empty())
		notes.push_back("excluded: " + p.excluded);
	std::string error, verdict;
	// An excluded process is not asked anything: its runtime, if any, is inert. One
	// whose control waits for a first command is asked only where a stored patch
	// applies (its verdict needs the answer); the others are left thread-free.
	bool asked = p.has_runtime && p.excluded.empty() && (!p.on_demand || !applicable.empty());
	json patches = asked ? runtime_patches(p, &error) : json::array();
	bool all_on = true;
	for (const std::string &n : applicable)
		all_on &= enabled_in(patches, n);
	if (!p.excluded.empty())
		verdict = "excluded";
	else if (!applicable.empty())
		verdict = !p.has_runtime   ? "without runtime"
			  : !error.empty() ? "failed"
			  : all_on	   ? "patched"
					   : "failed";
	else
		verdict = other ? "not applicable" : "no stored patch";
	if (verdict == "failed" && error.empty())
		error = "a stored patch for it is not enabled";
	const ProcObject &exe = p.objects.front();
	return {{"pid", p.pid},
		{"nspid", p.nspid},
		{"comm", p.comm},
		{"uid", p.uid},
		{"exe", exe.path},
		{"exe_deleted", exe.deleted},
		{"runtime", runtime_state(p, asked, error)},
		{"objects", objects},
		{"patches", patches},
		{"verdict", verdict},
		{"notes", notes},
		{"error", error}};
}

void print_record(const json &r)
{
	std::printf("%7d %-16s %-16s runtime %s\n", int(num(r, "pid")), str(r, "comm").c_str(),
		    str(r, "verdict").c_str(), str(r, "runtime").c_str());
	for (const json &o : array_of(r, "objects"))
		std::printf("        object %s  build-id %s%s\n", str(o, "path").c_str(),
			    str(o, "build_id").c_str(), flag(o, "deleted") ? "  (deleted)" : "");
	for (const json &p : array_of(r, "patches"))
		std::printf("        patch %s  %s\n", str(p, "name").c_str(),
			    str(p, "state").c_str());
	for (const json &n : array_of(r, "notes"))
		std::printf("        %s\n", n.get<std::string>().c_str());
	if (!str(r, "error").empty())
		std::printf("        error: %s\n", str(r, "error").c_str());
}

} // namespace

int cmd_status_all(const std::string &store, const Selector &sel, const Options &opt)
{
	std::vector<StorePatch> patches = read_manifest(store);
	std::vector<ProcInfo> procs = scan_selected(sel);
	std::vector<json> records(procs.size());
	parallel_for(procs.size(), sel.jobs,
		     [&](size_t i) { records[i] = record_of(procs[i], patches); });
	json list = json::array();
	std::map<std::string, int> summary;
	for (json &r : records) {
		if (r.is_null())
			continue;
		summary[str(r, "verdict")]++;
		if (!opt.json)
			print_record(r);
		list.push_back(std::move(r));
	}
	int failed = summary["failed"], bare = summary["without runtime"];
	int excluded = summary["excluded"];
	json stored = json::array();
	for (const StorePatch &sp : patches)
		stored.push_back(to_json(sp));
	if (opt.json)
		print_json({{"ok", failed == 0 && bare == 0},
			    {"version", GRAFT_VERSION},
			    {"store_dir", store},
			    {"store", stored},
			    {"processes", list},
			    {"summary", summary}});
	else
		std::printf("%d patched, %d not applicable, %d failed, %d without runtime, "
			    "%d with no stored patch, %d excluded\n",
			    summary["patched"], summary["not applicable"], failed, bare,
			    summary["no stored patch"], excluded);
	return failed ? kExitFailed : bare ? kExitUncovered : kExitOk;
}

} // namespace graft::cli
