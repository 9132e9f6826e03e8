// SPDX-License-Identifier: MIT
// system_wide_args.cpp - the command line of the system-wide commands: install,
// uninstall, gc, apply --all, preload, and the --all forms of status, disable and
// history (main.cpp and sign.cpp hand those here when --all is given).
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "store.hpp"

namespace graft::cli {
namespace {

struct SystemWideArgs {
	std::string store, file, name, verb;
	std::vector<std::string> pids, targets;
	Selector sel;
	bool all = false, from_store = false, no_apply = false, dry_run = false;
};
SystemWideArgs sw;

Selector selector()
{
	Selector s = sw.sel;
	for (const std::string &p : sw.pids)
		s.pids.push_back(parse_pid(p));
	return s;
}

void add_store(CLI::App *sub)
{
	sub->add_option("--store", sw.store,
			"the patch store (default $GRAFT_STORE, else /var/lib/graft)");
}

// --unit and --cgroup: the processes of a systemd unit or of a control group.
void add_groups(CLI::App *sub, const std::string &with)
{
	sub->add_option("--unit", sw.sel.unit,
			with + "only processes of this systemd unit (its control group; "
			       "NAME without a suffix means NAME.service)");
	sub->add_option("--cgroup", sw.sel.cgroup,
			with + "only processes of this control group directory (and below)");
}

// Which running processes install and apply --all reach, and how.
void add_selector(CLI::App *sub, Options &opt)
{
	sub->add_option("--exe", sw.sel.exe, "only processes of this program");
	sub->add_option("--lib", sw.sel.lib, "only processes that map a library of this name");
	add_groups(sub, "");
	sub->add_flag("--attach", opt.attach,
		      "attach the runtime to matching processes that have none (graft attach)");
	sub->add_option("--jobs", sw.sel.jobs, "processes handled at once (default 16)")
		->check(CLI::PositiveNumber);
	sub->add_option("--timeout", opt.timeout_sec, "seconds per process (default 30)")
		->check(CLI::PositiveNumber);
	sub->add_flag("--dry-run", opt.dry_run, "report what would change, change nothing");
	add_store(sub);
}

} // namespace

void add_all_options(CLI::App *sub)
{
	sub->add_flag("--all", sw.all, "every process of the machine (root: all users')");
	sub->add_option("--exe", sw.sel.exe, "with --all: only processes of this program");
	sub->add_option("--lib", sw.sel.lib,
			"with --all: only processes that map a library of this name");
	add_groups(sub, "with --all: ");
	sub->add_option("--jobs", sw.sel.jobs, "with --all: processes handled at once (16)")
		->check(CLI::PositiveNumber);
	if (std::string(sub->get_name()) != "history") // no store to read there
		add_store(sub);
	if (std::string(sub->get_name()) == "disable")
		sub->add_flag("--dry-run", sw.dry_run,
			      "with --all: report what would be disabled, change nothing");
}

bool all_requested()
{
	return sw.all;
}

int run_status_all(const Options &opt)
{
	return cmd_status_all(store_dir(sw.store), selector(), opt);
}

int run_history_all(const Options &opt)
{
	return cmd_history_all(selector(), opt);
}

int run_disable_all(const std::string &name, const Options &opt)
{
	Options o = opt;
	o.dry_run = sw.dry_run;
	return cmd_disable_all(name, selector(), o);
}

void declare_system_wide(CLI::App &app, Options &opt, std::function<int()> *action)
{
	auto *install =
		app.add_subcommand("install", "put a patch in the patch store (new "
					      "processes get it) and apply it to running ones");
	install->add_option("FILE", sw.file, "the patch module (.so)")->required();
	install->add_option("--target", sw.targets,
			    "a file with the patched build-id, kept in mind by gc (repeatable)");
	install->add_flag("--no-apply", sw.no_apply, "only store it");
	install->add_option("PIDS", sw.pids, "apply it to these processes only");
	add_selector(install, opt);
	install->callback([&opt, action] {
		*action = [&opt] {
			return cmd_install(store_dir(sw.store), sw.file, sw.targets, !sw.no_apply,
					   selector(), opt);
		};
	});
	auto *uninstall = app.add_subcommand("uninstall", "remove a patch from the store "
							  "(running processes keep it)");
	uninstall->add_option("NAME", sw.name, "the patch's name")->required();
	add_store(uninstall);
	uninstall->callback([&opt, action] {
		*action = [&opt] { return cmd_uninstall(store_dir(sw.store), sw.name, opt); };
	});
	auto *gc = app.add_subcommand("gc", "drop store entries no process maps and no file has");
	add_store(gc);
	gc->callback(
		[&opt, action] { *action = [&opt] { return cmd_gc(store_dir(sw.store), opt); }; });
	auto *apply = app.add_subcommand("apply", "load and enable a patch in every matching "
						  "process (--all)");
	apply->add_flag("--all", sw.all, "required: every matching process")->required();
	apply->add_flag("--from-store", sw.from_store, "every patch of the store");
	add_selector(apply, opt);
	apply->add_option("ARGS", sw.pids, "PATCH.so (unless --from-store), then PIDS");
	apply->callback([&opt, action] {
		*action = [&opt] {
			if (!sw.from_store) {
				if (sw.pids.empty())
					throw Failure{kExitUsage,
						      "apply --all needs PATCH.so or --from-store"};
				sw.file = sw.pids.front();
				sw.pids.erase(sw.pids.begin());
			}
			return cmd_apply_all(store_dir(sw.store), sw.file, sw.from_store,
					     selector(), opt);
		};
	});
	auto *preload =
		app.add_subcommand("preload", "the runtime in every new process through "
					      "/etc/ld.so.preload: enable, disable, status");
	preload->add_option("VERB", sw.verb, "enable, disable or status")
		->required()
		->check(CLI::IsMember({"enable", "disable", "status"}));
	preload->callback(
		[&opt, action] { *action = [&opt] { return cmd_preload(sw.verb, opt); }; });
}

} // namespace graft::cli
