// SPDX-License-Identifier: MIT
// main.cpp - the `graft` command line: parses the arguments (CLI11) and runs one
// command, mapping failures to exit codes (0 done, 1 refused/failed, 2 usage, 3 still
// in transition when the wait ended).
#include <functional>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli.hpp"

namespace graft::cli {
namespace {

struct Args {
	Options opt;
	std::string pid, file, name;
	bool no_enable = false, follow = false, no_time = false, all = false;
	std::vector<std::string> patches, command;
};

CLI::App *add_pid(CLI::App *sub, Args &a, bool required = true)
{
	sub->add_option("PID", a.pid, "process id of the target")->required(required);
	return sub;
}

void add_timeout(CLI::App *sub, Args &a, const char *help)
{
	sub->add_option("--timeout", a.opt.timeout_sec, help)->check(CLI::PositiveNumber);
}

// For the commands that start a transition.
void add_wait(CLI::App *sub, Args &a)
{
	add_timeout(sub, a,
		    "seconds to wait for the process's reply and then for the transition it "
		    "started (default 30)");
	sub->add_flag("--no-wait", a.opt.no_wait,
		      "return once the transition has started; it completes in the background");
}

// Each declare_* adds subcommands whose callback sets *action to the command to run.
void declare_run_ps(CLI::App &app, Args &a, std::function<int()> *action)
{
	auto *run = app.add_subcommand("run", "start PROGRAM with the runtime (and patches)");
	run->add_option("--patch", a.patches, "patch module to load at start (repeatable)")
		->allow_extra_args(false);
	run->add_option("PROGRAM", a.command, "program and its arguments")->required();
	run->positionals_at_end(); // everything from PROGRAM on belongs to the program
	run->callback(
		[&a, action] { *action = [&a] { return cmd_run(a.patches, a.command, a.opt); }; });

	auto *ps = app.add_subcommand("ps", "list the processes that have the runtime");
	ps->add_flag("--all", a.all,
		     "list every process of this user (root: all) and whether it has the runtime");
	ps->callback([&a, action] { *action = [&a] { return cmd_ps(a.opt, a.all); }; });

	auto *attach = add_pid(app.add_subcommand("attach", "load the runtime into a running "
							    "process that was started without it"),
			       a);
	add_timeout(attach, a, "seconds to wait for the runtime's control socket (default 30)");
	attach->callback(
		[&a, action] { *action = [&a] { return cmd_attach(parse_pid(a.pid), a.opt); }; });
}

void declare_lifecycle(CLI::App &app, Args &a, std::function<int()> *action)
{
	auto *load = add_pid(app.add_subcommand("load", "load (and enable) a patch module"), a);
	load->add_option("FILE", a.file, "the patch module (.so)")->required();
	load->add_flag("--no-enable", a.no_enable, "load it only; enable it later");
	load->add_flag("--attach", a.opt.attach,
		       "first load the runtime into the process if it has none (graft attach)");
	add_wait(load, a);
	load->callback([&a, action] {
		*action = [&a] { return cmd_load(parse_pid(a.pid), a.file, !a.no_enable, a.opt); };
	});
	for (const char *verb : {"enable", "disable", "unload"}) {
		std::string help = std::string(verb) + " a loaded patch";
		std::string v = verb;
		bool with_all = v == "disable"; // disable --all NAME (system-wide.md)
		auto *sub = add_pid(app.add_subcommand(verb, help), a);
		sub->add_option("NAME", a.name, "the patch's name (its file name without .so)")
			->required(!with_all);
		if (v == "unload")
			add_timeout(sub, a, "seconds to wait for the process's reply (default 30)");
		else
			add_wait(sub, a);
		if (with_all)
			add_all_options(sub);
		sub->callback([&a, action, v] {
			*action = [&a, v] {
				if (v == "disable" && all_requested())
					return run_disable_all(a.pid, a.opt); // NAME came first
				if (a.name.empty())
					throw Failure{kExitUsage, v + " needs PID and NAME"};
				return cmd_named(v, parse_pid(a.pid), a.name, a.opt);
			};
		});
	}
}

void declare_views(CLI::App &app, Args &a, std::function<int()> *action)
{
	add_pid(app.add_subcommand("list", "patches, objects, functions and their states"), a)
		->callback([&a, action] {
			*action = [&a] { return cmd_list(parse_pid(a.pid), a.opt); };
		});
	auto *log = add_pid(app.add_subcommand("log", "print the runtime's log"), a);
	log->add_flag("-f,--follow", a.follow, "keep printing new lines until interrupted");
	log->add_flag("--no-time", a.no_time, "print the text only, without timestamps");
	log->callback([&a, action] {
		*action = [&a] { return cmd_log(parse_pid(a.pid), a.follow, a.no_time, a.opt); };
	});
}

void declare_transition(CLI::App &app, Args &a, std::function<int()> *action)
{
	auto *status =
		add_pid(app.add_subcommand("status", "the transition in progress and the "
						     "threads that hold it (--all: every process)"),
			a, false);
	add_all_options(status);
	status->callback([&a, action] {
		*action = [&a] {
			if (all_requested())
				return run_status_all(a.opt);
			if (a.pid.empty())
				throw Failure{kExitUsage, "status needs PID, or --all"};
			return cmd_status(parse_pid(a.pid), a.opt);
		};
	});
	add_pid(app.add_subcommand("force", "finish the transition now, unchecked (the patch "
					    "can then never be unloaded)"),
		a)
		->callback([&a, action] {
			*action = [&a] { return cmd_force(parse_pid(a.pid), a.opt); };
		});
}

void report(const Failure &f, bool json)
{
	if (json)
		print_json(json::object({{"ok", false}, {"error", f.message}}));
	std::cerr << "graft: " << f.message << '\n';
}

} // namespace
} // namespace graft::cli

int main(int argc, char **argv)
{
	using namespace graft::cli;
	CLI::App app{"graft - live-patch running processes"};
	app.name("graft");
	Args args;
	std::function<int()> action;
	app.add_flag("--json", args.opt.json, "machine-readable output on stdout");
	app.require_subcommand(1);
	app.fallthrough(); // --json may follow the subcommand
	app.footer("Every command takes --json. Exit status: 0 done, 1 refused or failed, 2 usage, "
		   "3 still in transition when the wait ended, 4 (--all) some matching processes "
		   "have no runtime.");
	declare_run_ps(app, args, &action);
	declare_lifecycle(app, args, &action);
	declare_views(app, args, &action);
	declare_transition(app, args, &action);
	declare_system_wide(app, args.opt, &action);
	declare_trust(app, args.opt, &action);
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		int rc = app.exit(e);
		return rc == 0 ? kExitOk : kExitUsage;
	}
	try {
		return action ? action() : kExitUsage;
	} catch (const Failure &f) {
		report(f, args.opt.json);
		return f.code;
	} catch (const std::exception &e) {
		report(Failure{kExitFailed, e.what()}, args.opt.json);
		return kExitFailed;
	}
}
