// SPDX-License-Identifier: MIT
// fleet.cpp - graft apply --all / disable --all: one patch for every matching process,
// many processes at once, one line per process and a summary. One process's failure
// never stops the others; the exit code says whether every matching process is covered.
#include "store.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "attach.hpp"
#include "cgroup.hpp"
#include "control/protocol.hpp"
#include "fleet.hpp"
#include "optout.hpp"
#include "proc_scan.hpp"
#include "sign.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;
using Clock = std::chrono::steady_clock;

// Progress on a terminal only: "graft: 37/100 processes".
struct Progress {
	std::mutex mu;
	size_t done = 0, total = 0;
	bool tty = isatty(STDERR_FILENO);
	void step()
	{
		std::lock_guard<std::mutex> g(mu); // done and the terminal line
		++done;
		if (tty)
			std::fprintf(stderr, "\rgraft: %zu/%zu processes", done, total);
	}
	~Progress()
	{
		if (tty && total)
			std::fprintf(stderr, "\r\033[K");
	}
};

json req_at(const ProcInfo &p, const json &req, int timeout, int send_fd = -1)
{
	return request_at(socket_of(p), p.pid, req, timeout, send_fd);
}

// Polls the process until no transition of patch runs (true) or the deadline.
bool wait_transition(const ProcInfo &p, const std::string &patch, Clock::time_point deadline)
{
	for (;;) {
		json r = req_at(p, {{field::cmd, control::cmd::status}}, kQueryTimeoutSec);
		auto t = r.find(field::transition);
		if (t == r.end() || !t->is_object() || str(*t, field::patch) != patch)
			return true;
		if (Clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

// The patch's state in p: "enabled", "disabled", "" (not loaded).
std::string patch_state(const ProcInfo &p, const std::string &name)
{
	json r = req_at(p, {{field::cmd, control::cmd::list}}, kQueryTimeoutSec);
	for (const json &x : array_of(r, field::patches))
		if (str(x, field::name) == name)
			return flag(x, field::enabled) ? "enabled" : "disabled";
	return "";
}

// One patch into one process that has the runtime: "patched", "already", or throws.
std::string put(const ProcInfo &p, const Fleet &f, const Options &opt)
{
	std::string state = patch_state(p, f.name);
	if (state == "enabled")
		return "already";
	if (opt.dry_run)
		return "would patch";
	// Loaded as `graft load` loads: the file travels as a descriptor, so a process in
	// another mount namespace that cannot see the store (or the file) is patched too.
	PatchFile patch;
	json req = state.empty() ? load_request(f.path, true, &patch)
				 : json{{field::cmd, control::cmd::enable}, {field::name, f.name}};
	json r = req_at(p, req, opt.timeout_sec, patch.fd);
	if (!r[field::ok].get<bool>())
		throw Failure{kExitFailed, reply_error(r)};
	if (!wait_transition(p, f.name, Clock::now() + std::chrono::seconds(opt.timeout_sec)))
		throw Failure{kExitTransition, "still in transition after " +
						       std::to_string(opt.timeout_sec) + " s"};
	return "patched";
}

// graft attach's own code (every refusal of it included); a failure names what it did.
void attach_for(pid_t pid, int timeout_sec, const std::string &what)
{
	InjectStats stats;
	try {
		attach_process(pid, timeout_sec, &stats);
	} catch (const Failure &e) {
		throw Failure{kExitFailed, what + " failed: " + e.message};
	}
}

// --attach: loads the runtime into p. An attached runtime may enable the store's
// patches itself as it starts; put() then finds them enabled, and they count as patched
// now, not as already there.
void attach_runtime(ProcInfo *p, const Options &opt)
{
	attach_for(p->pid, opt.timeout_sec, "attaching the runtime");
	p->has_runtime = true;
	p->attached = true;
}

} // namespace

void start_control(ProcInfo *p, int timeout_sec)
{
	if (!p->on_demand)
		return;
	attach_for(p->pid, timeout_sec, "starting the runtime's control");
	p->on_demand = false;
}

namespace {

Outcome apply_one(ProcInfo p, const std::vector<Fleet> &patches, const Options &opt)
{
	if (!p.excluded.empty()) // never touched, not even to ask its runtime
		return {p.pid, p.comm, "excluded", p.excluded};
	Outcome o{p.pid, p.comm, "", ""};
	bool any = false;
	std::string other;
	for (const Fleet &f : patches) {
		std::string why;
		Fit fit = fit_of(p, f.info, &why);
		if (fit == Fit::other_build)
			other = why;
		if (fit != Fit::applies)
			continue;
		any = true;
		if (!p.has_runtime && !opt.attach)
			return {p.pid, p.comm, "without runtime",
				"maps " + why + " but has no graft runtime (--attach attaches it)"};
		try {
			std::string r;
			if ((!p.has_runtime || p.on_demand) && opt.dry_run) {
				r = "would patch"; // a dry run attaches and starts nothing
			} else {
				if (!p.has_runtime)
					attach_runtime(&p, opt);
				start_control(&p, opt.timeout_sec);
				r = put(p, f, opt);
				if (p.attached) // enabled by us or by the attached runtime's store
					r = "patched";
			}
			if (o.result.empty() || r != "already")
				o.result = r;
			o.detail += (o.detail.empty() ? "" : ", ") + f.name;
		} catch (const Failure &e) {
			return {p.pid, p.comm, "failed", f.name + ": " + e.message};
		}
	}
	if (!any)
		return {p.pid, p.comm, "not applicable", other};
	if (p.attached)
		o.detail += " (runtime attached)";
	return o;
}

} // namespace

void parallel_for(size_t n, int jobs, const std::function<void(size_t)> &fn)
{
	std::atomic<size_t> next{0};
	std::vector<std::thread> workers;
	size_t count = std::min<size_t>(n, size_t(std::max(1, jobs)));
	for (size_t w = 0; w < count; w++)
		workers.emplace_back([&] {
			for (size_t i; (i = next.fetch_add(1)) < n;)
				fn(i);
		});
	for (auto &t : workers)
		t.join();
}

namespace {

// The pids to look at: PIDS, the unit's or cgroup's processes (both: those of PIDS in
// the group), else every process.
std::vector<pid_t> selected_pids(const Selector &sel)
{
	std::vector<std::string> groups;
	if (!sel.unit.empty())
		groups = unit_cgroups(sel.unit);
	if (!sel.cgroup.empty())
		groups.push_back(sel.cgroup);
	if (groups.empty())
		return sel.pids.empty() ? list_pids() : sel.pids;
	std::set<pid_t> in_groups;
	for (const std::string &g : groups)
		for (pid_t pid : cgroup_pids(g))
			in_groups.insert(pid);
	if (sel.pids.empty())
		return {in_groups.begin(), in_groups.end()};
	std::vector<pid_t> out;
	for (pid_t pid : sel.pids)
		if (in_groups.count(pid))
			out.push_back(pid);
	return out;
}

} // namespace

void check_selector(const Selector &sel)
{
	optouts(); // a bad policy file stops install before it changes the store
	char exe[PATH_MAX];
	if (!sel.exe.empty() && !realpath(sel.exe.c_str(), exe))
		throw Failure{kExitFailed, "program '" + sel.exe + "' does not exist"};
	if (!sel.unit.empty() || !sel.cgroup.empty())
		selected_pids(sel);
}

std::vector<ProcInfo> scan_selected(const Selector &sel)
{
	std::vector<pid_t> pids = selected_pids(sel);
	std::vector<ProcInfo> all(pids.size());
	optouts(); // read here: a bad policy file stops the command before any work
	parallel_for(pids.size(), sel.jobs, [&](size_t i) {
		all[i] = scan_process(pids[i]);
		if (all[i].error.empty() || !all[i].objects.empty())
			all[i].excluded =
				excluded_why(all[i].pid, all[i].nspid, all[i].uid, &all[i].secure);
	});
	char exe[PATH_MAX] = {};
	if (!sel.exe.empty() && !realpath(sel.exe.c_str(), exe))
		throw Failure{kExitFailed, "program '" + sel.exe + "' does not exist"};
	std::vector<ProcInfo> out;
	for (ProcInfo &p : all) {
		if (!p.error.empty() && p.objects.empty())
			continue;
		if (exe[0] && (p.objects.empty() || p.objects[0].path != exe))
			continue;
		if (!sel.lib.empty() && !p.find(sel.lib, false))
			continue;
		out.push_back(std::move(p));
	}
	return out;
}

Fit fit_of(const ProcInfo &p, const ModuleInfo &info, std::string *why)
{
	bool match = false, other = false;
	for (const ModuleObject &o : info.objects) {
		const ProcObject *found = p.find(o.name.value_or(""), !o.name);
		if (!found)
			continue;
		if (!o.build_id.empty() && found->build_id != o.build_id) {
			other = true;
			*why = "'" + found->path + "' is build-id " +
			       (found->build_id.empty() ? "(none)" : found->build_id) +
			       "; no patch for it (the patch is for " + o.build_id + ")";
		} else {
			match = true;
			if (!other)
				*why = "'" + found->path + "'";
		}
	}
	return other ? Fit::other_build : match ? Fit::applies : Fit::none;
}

int report_outcomes(std::vector<Outcome> outcomes, const Options &opt, const json &extra)
{
	std::map<std::string, int> summary;
	json list = json::array();
	for (const Outcome &o : outcomes) {
		summary[o.result]++;
		json rec{{"pid", o.pid},
			 {"comm", o.comm},
			 {"result", o.result},
			 {"detail", o.detail}};
		if (o.ms >= 0)
			rec["ms"] = o.ms;
		list.push_back(std::move(rec));
		if (!opt.json)
			std::printf("%7d %-16s %s%s%s\n", int(o.pid), o.comm.c_str(),
				    o.result.c_str(), o.detail.empty() ? "" : ": ",
				    o.detail.c_str());
	}
	// Excluded processes are neither failures nor uncovered: the administrator chose.
	int failed = summary["failed"], bare = summary["without runtime"];
	int excluded = summary["excluded"];
	int covered = summary["patched"] + summary["already"] + summary["disabled"];
	int would = 0; // counted without adding "would" keys to a real run's summary
	for (const char *k : {"would patch", "would disable"})
		would += summary.count(k) ? summary.at(k) : 0;
	if (opt.json) {
		json doc = {{"ok", failed == 0 && bare == 0},
			    {"processes", list},
			    {"summary", summary},
			    {"dry_run", opt.dry_run}};
		doc.update(extra);
		print_json(doc);
	} else if (opt.dry_run) {
		std::printf("dry run: %d would change, %d already, %d not applicable, %d failed, "
			    "%d without runtime, %d excluded; nothing was changed\n",
			    would, summary["already"], summary["not applicable"], failed, bare,
			    excluded);
	} else {
		std::printf("%d covered (%d now, %d already), %d not applicable, %d failed, "
			    "%d without runtime, %d excluded\n",
			    covered, summary["patched"] + summary["disabled"], summary["already"],
			    summary["not applicable"], failed, bare, excluded);
	}
	// 0: every matching process is covered; 1: some failed; 4: some have no runtime.
	return failed ? kExitFailed : bare ? kExitUncovered : kExitOk;
}

int apply_to_processes(const std::vector<Fleet> &patches, const Selector &sel, const Options &opt,
		       const json &extra)
{
	std::vector<ProcInfo> procs = scan_selected(sel);
	std::vector<const ProcInfo *> todo;
	for (const ProcInfo &p : procs) {
		std::string why;
		for (const Fleet &f : patches)
			if (fit_of(p, f.info, &why) != Fit::none) {
				todo.push_back(&p);
				break;
			}
	}
	std::vector<Outcome> out(todo.size());
	Progress progress;
	progress.total = todo.size();
	parallel_for(todo.size(), sel.jobs, [&](size_t i) {
		auto t0 = Clock::now();
		out[i] = apply_one(*todo[i], patches, opt);
		if (out[i].result == "patched")
			out[i].ms = std::chrono::duration<double, std::milli>(Clock::now() - t0)
					    .count();
		progress.step();
	});
	return report_outcomes(std::move(out), opt, extra);
}

int cmd_apply_all(const std::string &store, const std::string &file, bool from_store,
		  const Selector &sel, const Options &opt)
{
	std::vector<Fleet> patches;
	if (from_store) {
		for (const StorePatch &p : read_manifest(store))
			patches.push_back(Fleet{p.name, store + "/" + p.file, p.info});
		std::sort(patches.begin(), patches.end(),
			  [](const Fleet &a, const Fleet &b) { return a.name < b.name; });
	} else {
		char real[PATH_MAX];
		if (!realpath(file.c_str(), real))
			throw Failure{kExitFailed, "patch file '" + file + "' does not exist"};
		std::string name = control::patch_name_of(real);
		patches.push_back(Fleet{name, real, read_module_info(real)});
	}
	if (patches.empty())
		throw Failure{kExitFailed, "the store '" + store + "' holds no patch"};
	return apply_to_processes(patches, sel, opt);
}

// The patch disabled in one process that has the runtime: "disabled", "would disable"
// (--dry-run), "" (it was not enabled), or throws.
static std::string take_out(const ProcInfo &p, const std::string &name, const Options &opt)
{
	if (patch_state(p, name) != "enabled")
		return "";
	if (opt.dry_run)
		return "would disable";
	json r = req_at(p, {{field::cmd, control::cmd::disable}, {field::name, name}},
			opt.timeout_sec);
	if (!r[field::ok].get<bool>())
		throw Failure{kExitFailed, reply_error(r)};
	if (!wait_transition(p, name, Clock::now() + std::chrono::seconds(opt.timeout_sec)))
		throw Failure{kExitTransition, "still unpatching"};
	return "disabled";
}

int cmd_disable_all(const std::string &name, const Selector &sel, const Options &opt)
{
	std::vector<ProcInfo> procs = scan_selected(sel);
	std::vector<Outcome> out(procs.size());
	Progress progress;
	progress.total = procs.size();
	parallel_for(procs.size(), sel.jobs, [&](size_t i) {
		ProcInfo &p = procs[i];
		out[i] = {p.pid, p.comm, "", ""};
		if (p.has_runtime && !p.excluded.empty())
			out[i] = {p.pid, p.comm, "excluded", p.excluded};
		else if (p.has_runtime && p.on_demand && opt.dry_run)
			out[i].result = "not asked (control on demand)";
		else if (p.has_runtime)
			try {
				// Control on demand: the patch may have come from the store at
				// start, or from the parent of a fork child: it is asked.
				start_control(&p, opt.timeout_sec);
				out[i].result = take_out(p, name, opt);
			} catch (const Failure &e) {
				out[i] = {p.pid, p.comm, "failed", e.message};
			}
		progress.step();
	});
	out.erase(std::remove_if(out.begin(), out.end(),
				 [](const Outcome &o) { return o.result.empty(); }),
		  out.end());
	return report_outcomes(std::move(out), opt);
}

} // namespace graft::cli
