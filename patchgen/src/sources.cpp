// SPDX-License-Identifier: MIT
// sources.cpp - the three ways to get original/patched object pairs.
#include "sources.hpp"

#include "common.hpp"
#include "elf_object.hpp"
#include "graft_h.hpp"
#include "line_fix.hpp"
#include "producer.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace graft::patchgen {

namespace {

constexpr const char *kCmd = ".graft.cmd";

bool ends_with(const std::string &s, const std::string &suffix)
{
	return s.size() >= suffix.size() &&
	       s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every object graft-cc built under dir, by path relative to dir.
std::map<std::string, std::string> graft_objects(const std::string &dir)
{
	std::map<std::string, std::string> out;
	for (auto it = fs::recursive_directory_iterator(
		     dir, fs::directory_options::skip_permission_denied);
	     it != fs::recursive_directory_iterator(); ++it) {
		std::string p = it->path().string();
		if (!it->is_regular_file() || !ends_with(p, kCmd))
			continue;
		std::string obj = p.substr(0, p.size() - std::string(kCmd).size());
		if (fs::exists(obj))
			out[fs::relative(obj, dir).string()] = obj;
	}
	return out;
}

void read_cmd(const std::string &obj, TuInput &tu)
{
	std::ifstream in(obj + kCmd);
	std::getline(in, tu.compiler);
	std::getline(in, tu.lang);
}

TuInput pair_of(const std::string &name, const std::string &orig, const std::string &patched)
{
	TuInput tu;
	tu.name = name;
	tu.orig_o = orig;
	tu.patched_o = patched;
	if (fs::exists(orig + ".graft.s"))
		tu.orig_s = orig + ".graft.s";
	if (fs::exists(patched + ".graft.s"))
		tu.patched_s = patched + ".graft.s";
	read_cmd(patched, tu);
	if (tu.compiler.empty()) {
		tu.compiler = "cc";
		tu.lang = "c";
	}
	return tu;
}

void copy_record(const std::string &obj, const std::string &to)
{
	fs::create_directories(fs::path(to).parent_path());
	for (const char *sfx : {"", ".graft.s", ".graft.cmd"})
		if (fs::exists(obj + sfx))
			fs::copy_file(obj + sfx, to + sfx, fs::copy_options::overwrite_existing);
}

void build(const SourceMode &m, const std::string &stage)
{
	// CPATH: <graft/graft.h> for a fix that writes callbacks or shadow types, its API
	// weak (the program does not link libgraft.so). Not a flag: DW_AT_producer and the
	// code of the original build stay as they are.
	const char *cpath = getenv("CPATH");
	std::vector<std::string> env = {"CC=" + m.tool_dir + "/graft-cc",
					"CXX=" + m.tool_dir + "/graft-c++", "GRAFT_CC_REFUSE_LTO=1",
					"CPATH=" + m.workdir + "/include" +
						(cpath && *cpath ? ":" + std::string(cpath) : "")};
	// A target built normally has no patchable entries: the rebuilt original must
	// have the same code, function for function.
	if (!m.graft_ready)
		env.push_back("GRAFT_CC_PFE=0");
	RunResult r = run_shell(m.build, m.src, env);
	size_t lto = r.output.find("graft-cc: refused: LTO");
	if (r.status != 0 && lto != std::string::npos)
		throw Refusal("an LTO build (-flto), refused before building it: " +
			      r.output.substr(lto + 19, r.output.find('\n', lto) - lto - 19) +
			      "; build the program to be patched without LTO");
	if (r.status != 0)
		throw Refusal("the " + stage + " build failed (`" + m.build + "` in " + m.src +
			      "):\n" + r.output);
}

bool is_elf_file(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	char magic[4] = {};
	in.read(magic, 4);
	return in && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// A target built normally: its tree was not built through graft-cc. The original is
// rebuilt in a copy of the tree without its build products (every ELF file), so the
// user's tree is never touched.
std::string scratch_copy(const SourceMode &m)
{
	std::string copy = m.workdir + "/tree";
	fs::copy(m.src, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
	for (auto it = fs::recursive_directory_iterator(copy);
	     it != fs::recursive_directory_iterator(); ++it)
		if (it->is_regular_file() && !it->is_symlink() && is_elf_file(it->path()))
			fs::remove(it->path());
	info("the target was built without graft-cc: rebuilding the original in " + copy);
	return copy;
}

void check_build_id(const SourceMode &m, const Target &target, const std::string &path)
{
	if (!target.graft_ready) {
		info("built without graft-cc: the target is checked symbol by symbol (size of "
		     "every "
		     "function replaced and symbol used), not by build-id");
		return;
	}
	std::string base = fs::path(path).filename().string();
	for (auto it = fs::recursive_directory_iterator(m.src);
	     it != fs::recursive_directory_iterator(); ++it) {
		if (!it->is_regular_file() || it->path().filename() != base)
			continue;
		Target built = Target::open(it->path().string());
		if (built.build_id.empty() || target.build_id.empty())
			continue;
		if (built.build_id != target.build_id)
			throw Refusal("target does not match the original build: " + path +
				      " has build-id " + target.build_id + " but " +
				      it->path().string() + " built from " + m.src + " has " +
				      built.build_id +
				      " (patch the tree the deployed binary was built from)");
		info("build-id matches: " + target.build_id);
		return;
	}
	warn("no file named " + base + " in " + m.src +
	     ": the target is checked by its symbol sizes only");
}

// The restored tree must build what it built before the fix, object for object: a
// build that stamps the time or the git state into its code (a release.h) makes every
// comparison of objects meaningless, and leaves the tree building another program.
void check_restored(const SourceMode &m, const std::map<std::string, std::string> &before)
{
	for (const auto &[rel, obj] : before)
		if (read_text(m.workdir + "/orig/" + rel) != read_text(obj))
			throw Refusal(
				"the tree does not build the same " + rel +
				" again after the fix "
				"is reverted (does the build stamp a time, a version or the git "
				"state into the code?); the objects cannot be compared: make the "
				"build reproducible");
}

// A translation unit the fix adds: paired with an empty object of the same language
// and source name, so that everything in it is new (functions, data) and planned as
// any new function is.
TuInput added_unit(const std::string &rel, const std::string &patched, const std::string &workdir)
{
	TuInput tu = pair_of(rel, "", patched);
	if (tu.lang != "c" && tu.lang != "c++")
		throw Refusal("the fix adds " + rel + " (" + tu.lang +
			      "): only new C and C++ "
			      "sources are supported");
	std::string empty = workdir + "/orig/" + rel;
	fs::create_directories(fs::path(empty).parent_path());
	ElfObject src = ElfObject::read(patched);
	write_text(empty + ".graft.s", ".file \"" + src.file_symbol + "\"\n");
	RunResult r = run({tu.compiler, "-c", "-x", "assembler", empty + ".graft.s", "-o", empty});
	if (r.status != 0)
		throw Refusal("cannot assemble an empty object for the new unit " + rel + ":\n" +
			      r.output);
	tu.orig_o = empty;
	tu.orig_s = empty + ".graft.s";
	tu.added = true;
	info("the fix adds the translation unit " + rel + ": all of it is new code");
	return tu;
}

// The objects the patched build added are not the tree's: the tree goes back to what
// it built before the fix.
void remove_added(const std::map<std::string, std::string> &before, const std::string &dir)
{
	for (const auto &[rel, obj] : graft_objects(dir))
		if (!before.count(rel))
			for (const char *sfx : {"", ".graft.s", ".graft.cmd"})
				fs::remove(obj + sfx);
}

// A series of fixes as the one diff they make together (a cumulative module): applied in
// order to a copy of the tree's sources, compared with another copy. One fix: itself.
std::string series(const SourceMode &m)
{
	if (m.patches.size() == 1)
		return m.patches[0];
	std::string before = m.workdir + "/series/a", after = m.workdir + "/series/b";
	for (const std::string &copy : {before, after}) {
		fs::create_directories(fs::path(copy).parent_path());
		fs::copy(m.src, copy,
			 fs::copy_options::recursive | fs::copy_options::copy_symlinks);
	}
	for (const std::string &p : m.patches) {
		RunResult r = run({"patch", "-p1", "--forward", "-s", "-d", after, "-i", p});
		if (r.status != 0)
			throw Refusal("the fix " + p +
				      " does not apply after the ones before it in " + m.src +
				      ":\n" + r.output);
	}
	RunResult d = run({"diff", "-ruN", "a", "b"}, m.workdir + "/series");
	if (d.status > 1)
		throw Refusal("cannot compare the tree with the series of fixes applied:\n" +
			      d.output);
	std::string combined = m.workdir + "/series.patch";
	write_text(combined, d.output);
	fs::remove_all(m.workdir + "/series");
	info("the series of " + std::to_string(m.patches.size()) +
	     " fixes is one diff: " + combined);
	return combined;
}

void patch_tree(const SourceMode &m, const std::string &fixed, bool reverse, bool dry)
{
	std::vector<std::string> argv = {"patch", "-p1", "--forward", "-s",
					 "-d",	  m.src, "-i",	      fixed};
	if (reverse)
		argv[2] = "-R";
	if (dry)
		argv.push_back("--dry-run");
	RunResult r = run(argv);
	if (r.status != 0)
		throw Refusal("the fix " + m.patches.back() +
			      (reverse ? " cannot be reverted" : " does not apply") + " in " +
			      m.src + ":\n" + r.output);
}

} // namespace

std::vector<TuInput> objects_from_source(const SourceMode &given,
					 const std::vector<Target> &targets)
{
	SourceMode m = given;
	m.graft_ready = targets[0].graft_ready;
	for (const Target &t : targets)
		if (t.graft_ready != m.graft_ready)
			throw Refusal("--target " + t.path + (t.graft_ready ? " was" : " was not") +
				      " built through graft-cc and " + targets[0].path +
				      (m.graft_ready ? " was" : " was not") +
				      ": one module patches "
				      "targets of one build only");
	if (!m.graft_ready)
		m.src = scratch_copy(m);
	fs::create_directories(m.workdir + "/include/graft");
	write_text(m.workdir + "/include/graft/graft.h",
		   "#define GRAFT_FIX_SOURCE 1\n" + std::string(kGraftHeader));
	std::string fixed = m.workdir + "/fix.patch";
	write_text(fixed, fix_patch_lines(read_text(series(m))));
	patch_tree(m, fixed, false, true);
	build(m, "original");
	auto before = graft_objects(m.src);
	if (before.empty())
		throw Refusal(
			"no object in " + m.src +
			" was built by graft-cc: the build command must "
			"compile with $CC/$CXX (graft-patchgen sets them to graft-cc); clean the "
			"tree and build the deployed program that way");
	for (size_t i = 0; i < targets.size(); i++)
		check_build_id(m, targets[i], m.targets[i]);
	std::set<std::string> other_builds = check_producers(before, targets);
	for (const auto &[rel, obj] : before)
		copy_record(obj, m.workdir + "/orig/" + rel);
	patch_tree(m, fixed, false, false);
	std::vector<TuInput> tus;
	try {
		build(m, "patched");
		for (const auto &[rel, obj] : graft_objects(m.src)) {
			if (other_builds.count(rel))
				continue;
			if (!before.count(rel)) {
				copy_record(obj, m.workdir + "/patched/" + rel);
				tus.push_back(
					added_unit(rel, m.workdir + "/patched/" + rel, m.workdir));
				continue;
			}
			std::string o = m.workdir + "/orig/" + rel,
				    p = m.workdir + "/patched/" + rel;
			if (read_text(o) == read_text(obj))
				continue;
			copy_record(obj, p);
			tus.push_back(pair_of(rel, o, p));
		}
	} catch (...) {
		if (m.graft_ready) {
			patch_tree(m, fixed, true, false);
			remove_added(before, m.src);
			build(m, "restoring");
		}
		throw;
	}
	if (m.graft_ready) { // a scratch copy is simply removed with the work directory
		patch_tree(m, fixed, true, false);
		remove_added(before, m.src);
		build(m, "restoring");
		check_restored(m, before);
	}
	return tus;
}

std::vector<TuInput> objects_from_trees(const std::string &orig, const std::string &patched,
					const std::string &work)
{
	auto a = graft_objects(orig), b = graft_objects(patched);
	if (b.empty())
		throw Refusal("no object in " + patched + " was built by graft-cc");
	std::vector<TuInput> tus;
	for (const auto &[rel, obj] : b) {
		auto it = a.find(rel);
		if (it == a.end()) {
			tus.push_back(added_unit(rel, obj, work));
			continue;
		}
		if (read_text(it->second) != read_text(obj))
			tus.push_back(pair_of(rel, it->second, obj));
	}
	return tus;
}

TuInput objects_from_files(const std::string &orig, const std::string &patched)
{
	return pair_of(fs::path(patched).filename().string(), orig, patched);
}

} // namespace graft::patchgen
