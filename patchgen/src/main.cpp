// SPDX-License-Identifier: MIT
// main.cpp - graft-patchgen: build a live-patch module from a source fix.
//
//   graft-patchgen --src DIR --patch FIX.patch --build 'CMD' --target PATH [-o NAME.so]
//   graft-patchgen --orig-tree D1 --patched-tree D2 --target PATH -o NAME.so
//   graft-patchgen --orig A.o --patched B.o --target PATH -o NAME.so
//
// Exit status: 0 module written; 1 refused (the reason and place on stderr);
// 3 no functional change (no module); 2 usage error.
#include "common.hpp"
#include "module.hpp"
#include "sources.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using namespace graft::patchgen;

namespace {

struct Args {
	std::vector<std::string> targets;
	std::vector<std::string> patches;
	std::string src, build, output, orig_tree, patched_tree, orig, patched;
	std::string keep_work, debug_file;
	std::vector<std::string> debug_dirs;
	bool verbose = false, replace = false;
};

std::string tool_dir()
{
	return fs::read_symlink("/proc/self/exe").parent_path().string();
}

std::string default_output(const Args &a)
{
	if (!a.output.empty())
		return fs::absolute(a.output).string();
	std::string stem =
		fs::path(a.patches.empty() ? a.patched : a.patches.back()).stem().string();
	return fs::absolute(stem + ".so").string();
}

std::vector<TuInput> collect(const Args &a, const std::vector<Target> &targets,
			     const std::string &work)
{
	if (!a.src.empty()) {
		if (a.patches.empty() || a.build.empty())
			throw Refusal("--src needs --patch and --build");
		std::vector<std::string> patches;
		for (const std::string &p : a.patches)
			patches.push_back(fs::absolute(p).string());
		SourceMode m{fs::absolute(a.src).string(),
			     patches,
			     a.build,
			     a.targets,
			     tool_dir(),
			     work};
		return objects_from_source(m, targets);
	}
	if (!a.orig_tree.empty() && !a.patched_tree.empty())
		return objects_from_trees(a.orig_tree, a.patched_tree, work);
	if (!a.orig.empty() && !a.patched.empty())
		return {objects_from_files(a.orig, a.patched)};
	throw Refusal(
		"give --src/--patch/--build, --orig-tree/--patched-tree, or --orig/--patched");
}

int generate(const Args &a)
{
	if (!a.debug_file.empty() && a.targets.size() > 1)
		throw Refusal("--debug-file names the debug file of one --target; with several, "
			      "install them by build-id and give --debug-dir");
	std::vector<Target> targets;
	for (const std::string &t : a.targets)
		targets.push_back(
			Target::open(fs::absolute(t).string(), a.debug_file, a.debug_dirs));
	char tmpl[] = "/tmp/graft-patchgen.XXXXXX";
	if (a.keep_work.empty() && !mkdtemp(tmpl))
		throw Refusal(std::string("cannot create a work directory in /tmp: ") +
			      std::strerror(errno));
	std::string work =
		a.keep_work.empty() ? std::string(tmpl) : fs::absolute(a.keep_work).string();
	fs::create_directories(work);
	int status = 0;
	try {
		std::vector<TuInput> tus = collect(a, targets, work);
		std::string out = default_output(a);
		ModuleResult r = build_module(tus, targets, out, work, a.replace);
		if (r.empty) {
			std::cerr << "graft-patchgen: no functional change: the fix changes no "
				     "function's "
				     "code (comments, whitespace or unused declarations only); no "
				     "module "
				     "written\n";
			status = 3;
		} else {
			for (const std::string &l : r.report)
				std::cout << l << "\n";
			std::cout << "wrote " << out << "\n";
		}
	} catch (...) {
		if (a.keep_work.empty())
			fs::remove_all(work);
		throw;
	}
	if (a.keep_work.empty())
		fs::remove_all(work);
	return status;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"graft-patchgen: build a graft live-patch module from a source fix"};
	Args a;
	app.add_option("--src", a.src,
		       "source tree the deployed target was built from (with graft-cc)");
	app.add_option("--patch", a.patches,
		       "the fix, a unified diff applied with patch -p1; repeated: a series of "
		       "fixes applied in order, one module for all of them")
		->expected(1)
		->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
	app.add_flag(
		"--replace", a.replace,
		"a cumulative module: enabling it replaces every enabled patch (atomic replace)");
	app.add_option("--build", a.build,
		       "build command, run in --src with CC/CXX set to graft-cc");
	app.add_option("--target", a.targets,
		       "the deployed executable or shared library; repeated for a fix spanning "
		       "several (one graft_object each)")
		->required()
		->expected(1)
		->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
	app.add_option(
		"--debug-file", a.debug_file,
		"a stripped target's separate debug file (its build-id must be the target's)");
	app.add_option("--debug-dir", a.debug_dirs,
		       "where to look for DIR/.build-id/xx/yyyy.debug (default /usr/lib/debug)");
	app.add_option("-o,--output", a.output, "the module to write (default: FIX.so)");
	app.add_option("--orig-tree", a.orig_tree, "two-tree mode: the original build tree");
	app.add_option("--patched-tree", a.patched_tree, "two-tree mode: the patched build tree");
	app.add_option("--orig", a.orig, "two-object mode: the original object");
	app.add_option("--patched", a.patched,
		       "two-object mode: the patched object (with OBJ.graft.s)");
	app.add_option("--keep-work", a.keep_work, "keep the intermediate files in this directory");
	app.add_flag("-v,--verbose", a.verbose, "say what is decided and why");
	app.footer("Exit status: 0 module written, 1 refused, 2 usage, 3 no functional change.");
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 2; // --help is not an error; the graft CLI's codes
	}
	set_verbose(a.verbose);
	try {
		return generate(a);
	} catch (const Refusal &e) {
		std::cerr << "graft-patchgen: refused: " << e.what() << "\n";
	} catch (const std::exception &e) {
		std::cerr << "graft-patchgen: refused: " << e.what() << "\n";
	}
	return 1;
}
