// SPDX-License-Identifier: MIT
// view.cpp - graft list and graft log: reading the process's state and log and
// presenting them (a table of patches, dmesg-style lines).
#include "cli.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <thread>

#include "control/protocol.hpp"

namespace graft::cli {
namespace {

namespace field = control::field;

constexpr auto kFollowInterval = std::chrono::milliseconds(200);

std::string hex_or_dash(uint64_t addr)
{
	if (addr == 0)
		return "-";
	char buf[24];
	std::snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
	return buf;
}

std::string func_state(const json &f)
{
	if (flag(f, field::active))
		return "active";
	return flag(f, field::patched) ? "patched" : "-";
}

void print_funcs(const json &funcs)
{
	size_t w = 8; // "FUNCTION"
	for (const json &f : funcs)
		w = std::max(w, str(f, field::name).size());
	std::printf("    %-*s  %6s  %-7s  %-9s  %-14s  %s\n", int(w), "FUNCTION", "SYMPOS", "STATE",
		    "ENTRY", "OLD", "NEW");
	for (const json &f : funcs) {
		std::string kind = str(f, field::entry_kind);
		std::printf("    %-*s  %6" PRIu64 "  %-7s  %-9s  %-14s  %s\n", int(w),
			    str(f, field::name).c_str(), num(f, field::sympos),
			    func_state(f).c_str(), kind.empty() ? "-" : kind.c_str(),
			    hex_or_dash(num(f, field::old_addr)).c_str(),
			    hex_or_dash(num(f, field::new_addr)).c_str());
	}
}

void print_patch(const json &p)
{
	std::string state = flag(p, field::enabled)    ? "enabled"
			    : flag(p, field::replaced) ? "replaced"
						       : "disabled";
	std::string transition = str(p, field::transition);
	if (!transition.empty())
		state += ", " + transition;
	if (flag(p, field::replace))
		state += ", replace";
	if (uint64_t order = num(p, field::stack_order))
		state += ", stack order " + std::to_string(order);
	std::printf("%s  (%s)  %s\n", str(p, field::name).c_str(), state.c_str(),
		    str(p, field::path).c_str());
	for (const json &o : array_of(p, field::objects)) {
		std::string ostate = flag(o, field::loaded) ? "loaded" : "not loaded";
		if (flag(o, field::patched))
			ostate += ", patched";
		std::printf("  object %s  (%s)\n", str(o, field::name).c_str(), ostate.c_str());
		print_funcs(array_of(o, field::funcs));
	}
}

// Registered shadow variable types, after the patches (absent from older runtimes).
void print_shadow_types(const json &reply)
{
	if (!reply.contains(field::shadow_types) || reply[field::shadow_types].empty())
		return;
	std::printf("shadow types\n    %-18s  %5s  %9s\n", "ID", "USERS", "VARIABLES");
	for (const json &t : array_of(reply, field::shadow_types))
		std::printf("    %-18s  %5" PRIu64 "  %9" PRIu64 "\n",
			    hex_or_dash(num(t, field::id)).c_str(), num(t, field::users),
			    num(t, field::variables));
}

void print_log_line(const json &line, bool no_time)
{
	std::string text = str(line, field::text);
	if (no_time) {
		std::printf("%s\n", text.c_str());
		return;
	}
	uint64_t usec = num(line, field::usec);
	std::printf("[%5" PRIu64 ".%06" PRIu64 "] %s\n", usec / 1000000, usec % 1000000,
		    text.c_str());
}

// One `log` request: the lines after seq `after`. Throws Failure on refusal.
json fetch_log(pid_t pid, uint64_t after)
{
	json reply = request(pid,
			     json{{field::cmd, control::cmd::log},
				  {field::after, after},
				  {field::max, control::kLogHardMax}},
			     kQueryTimeoutSec);
	if (!reply[field::ok].get<bool>())
		throw Failure{kExitFailed, "cannot read the log of " + std::to_string(pid) + ": " +
						   reply_error(reply)};
	return array_of(reply, field::lines);
}

// Everything the ring holds now, oldest first.
json read_whole_log(pid_t pid, uint64_t *last)
{
	json all = json::array();
	for (;;) {
		json lines = fetch_log(pid, *last);
		for (json &l : lines) {
			*last = num(l, field::seq);
			all.push_back(std::move(l));
		}
		if (lines.size() < control::kLogHardMax)
			return all;
	}
}

void report_lost(const json &lines, uint64_t after)
{
	if (lines.empty())
		return;
	uint64_t first = num(lines.front(), field::seq);
	if (first > after + 1)
		std::cerr << "graft: " << first - after - 1
			  << " earlier log lines were overwritten\n";
}

int follow_log(pid_t pid, uint64_t last, bool no_time, const Options &opt)
{
	for (;;) {
		std::this_thread::sleep_for(kFollowInterval);
		json lines;
		try {
			lines = fetch_log(pid, last);
		} catch (const Failure &f) {
			if (!f.process_gone)
				throw;
			if (!opt.json)
				std::cerr << "graft: process " << pid << " exited\n";
			return kExitOk;
		}
		if (!opt.json)
			report_lost(lines, last);
		for (const json &l : lines) {
			last = num(l, field::seq);
			opt.json ? print_json(l) : print_log_line(l, no_time);
		}
		std::fflush(stdout);
	}
}

} // namespace

int cmd_list(pid_t pid, const Options &opt)
{
	json reply = request(pid, json{{field::cmd, control::cmd::list}}, kQueryTimeoutSec);
	if (opt.json)
		print_json(reply);
	if (!reply[field::ok].get<bool>()) {
		std::cerr << "graft: cannot list the patches of " << pid << ": "
			  << reply_error(reply) << '\n';
		return kExitFailed;
	}
	if (opt.json)
		return kExitOk;
	const json &patches = array_of(reply, field::patches);
	if (patches.empty())
		std::printf("no patches in %d\n", int(pid));
	for (const json &p : patches)
		print_patch(p);
	print_shadow_types(reply);
	return kExitOk;
}

int cmd_log(pid_t pid, bool follow, bool no_time, const Options &opt)
{
	uint64_t last = 0;
	json lines = read_whole_log(pid, &last);
	if (opt.json && !follow) {
		print_json(json{{field::ok, true}, {field::lines, lines}});
		return kExitOk;
	}
	if (!opt.json)
		report_lost(lines, 0);
	for (const json &l : lines)
		opt.json ? print_json(l) : print_log_line(l, no_time);
	std::fflush(stdout);
	return follow ? follow_log(pid, last, no_time, opt) : kExitOk;
}

} // namespace graft::cli
