// SPDX-License-Identifier: MIT
// store_cmds.cpp - graft install / uninstall / gc: the patch store's manifest, modules
// and index, changed under the store's lock and replaced by rename() (a starting
// process never sees half a file).
#include "store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "proc_scan.hpp"
#include "store/format.hpp"

namespace graft::cli {
namespace {

[[noreturn]] void fail(const std::string &msg)
{
	throw Failure{kExitFailed, msg};
}

void make_dir(const std::string &dir)
{
	if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
		fail("cannot create '" + dir + "': " + strerror(errno));
}

// Writes data to path through path.tmp + rename, mode 0644.
void write_file(const std::string &path, const std::string &data)
{
	std::string tmp = path + ".tmp";
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("cannot write '" + tmp + "': " + strerror(errno));
	fchmod(fd, 0644);
	bool ok = write(fd, data.data(), data.size()) == ssize_t(data.size()) && fsync(fd) == 0;
	ok &= close(fd) == 0;
	if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
		unlink(tmp.c_str());
		fail("cannot write '" + path + "': " + strerror(errno));
	}
}

std::string read_all(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		fail("cannot read '" + path + "'");
	std::ostringstream s;
	s << in.rdbuf();
	return s.str();
}

// The store's lock, held while this object lives.
struct StoreLock {
	int fd = -1;
	explicit StoreLock(const std::string &dir)
	{
		make_dir(dir);
		make_dir(dir + "/" + store::kModulesDir);
		fd = open((dir + "/" + store::kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
			  0644);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			fail("cannot lock the store '" + dir + "': " + strerror(errno));
	}
	~StoreLock() { close(fd); }
};

void write_manifest(const std::string &dir, const std::vector<StorePatch> &patches)
{
	json list = json::array();
	for (const StorePatch &p : patches)
		list.push_back(to_json(p));
	write_file(dir + "/" + store::kManifestFile,
		   json{{"version", 1}, {"patches", list}}.dump(1) + "\n");
}

// The runtime's index: one entry per (patch, object), sorted by build-id then name.
void write_index(const std::string &dir, std::vector<StorePatch> patches)
{
	std::sort(patches.begin(), patches.end(),
		  [](const StorePatch &a, const StorePatch &b) { return a.name < b.name; });
	std::vector<store::IndexEntry> entries;
	std::string strings(1, '\0'); // offset 0: ""
	auto add = [&strings](const std::string &s) {
		uint32_t off = uint32_t(strings.size());
		strings += s;
		strings.push_back('\0');
		return off;
	};
	for (uint32_t rank = 0; rank < patches.size(); rank++) {
		uint32_t file = add(patches[rank].file);
		for (const ModuleObject &o : patches[rank].info.objects) {
			store::IndexEntry e{};
			if (!store::parse_build_id(o.build_id, e.id, &e.id_len))
				continue;
			e.file = file;
			e.object = o.name ? add(*o.name) : 0;
			e.order = rank;
			entries.push_back(e);
		}
	}
	std::stable_sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
		return store::compare_id(a.id, a.id_len, b.id, b.id_len) < 0;
	});
	store::IndexHeader h{};
	memcpy(h.magic, store::kIndexMagic, sizeof(h.magic));
	h.version = store::kIndexVersion;
	h.count = uint32_t(entries.size());
	h.strings_size = uint32_t(strings.size());
	std::string data(reinterpret_cast<const char *>(&h), sizeof(h));
	data.append(reinterpret_cast<const char *>(entries.data()),
		    entries.size() * sizeof(store::IndexEntry));
	data += strings;
	write_file(dir + "/" + store::kIndexFile, data);
}

void check_installable(const std::string &file, const std::string &name, const ModuleInfo &info)
{
	if (name.empty() || name[0] == '.' ||
	    name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789._+-") != std::string::npos)
		fail("cannot install '" + file + "': its name '" + name +
		     "' must be letters, digits and ._+- only");
	for (const ModuleObject &o : info.objects) {
		uint8_t id[store::kMaxBuildIdBytes];
		uint32_t len;
		if (!store::parse_build_id(o.build_id, id, &len))
			fail("cannot install '" + file + "': its object " + object_label(o) +
			     " names no build-id (the store files patches by build-id: build it "
			     "with graft-patchgen, or set graft_object.build_id)");
	}
}

std::string name_of_module(const std::string &file)
{
	std::string base = file.substr(file.rfind('/') + 1);
	if (base.size() > 3 && base.compare(base.size() - 3, 3, ".so") == 0)
		base.resize(base.size() - 3);
	return base;
}

// Files of running processes that map one of the patch's build-ids: gc keeps the entry
// while such a file still has it on disk.
std::vector<std::string> targets_of(const ModuleInfo &info, std::vector<std::string> given)
{
	std::set<std::string> ids;
	for (const ModuleObject &o : info.objects)
		ids.insert(o.build_id);
	std::set<std::string> out(given.begin(), given.end());
	for (pid_t pid : list_pids())
		for (const ProcObject &o : scan_process(pid).objects)
			if (!o.deleted && ids.count(o.build_id))
				out.insert(o.path);
	return {out.begin(), out.end()};
}

// The text of FILE.minisig, "" when there is none.
std::string signature_of(const std::string &file)
{
	std::string sig = file + ".minisig";
	return access(sig.c_str(), F_OK) == 0 ? read_all(sig) : std::string();
}

// The module and its signature (security.md): the runtime verifies a store module
// against the .minisig beside it before it loads it in a new process. The signature is
// written first: a process starting in between sees the new signature with the old
// module and refuses it (logged), rather than load a module its signature does not cover.
void write_module(const std::string &path, const std::string &data, const std::string &sig)
{
	if (sig.empty())
		unlink((path + ".minisig").c_str());
	else
		write_file(path + ".minisig", sig);
	write_file(path, data);
}

// What installing file as name changes in the store: "added", "replaced" or "unchanged"
// (the same bytes and signature are installed under that name and every --target is
// recorded).
std::string store_change(const std::string &dir, const std::vector<StorePatch> &patches,
			 const std::string &name, const std::string &data, const std::string &sig,
			 const std::vector<std::string> &targets)
{
	auto it = std::find_if(patches.begin(), patches.end(),
			       [&](const StorePatch &p) { return p.name == name; });
	if (it == patches.end())
		return "added";
	std::ifstream in(dir + "/" + it->file, std::ios::binary);
	std::ostringstream old;
	old << in.rdbuf();
	bool same = in && old.str() == data && signature_of(dir + "/" + it->file) == sig;
	for (const std::string &t : targets)
		same &= std::find(it->targets.begin(), it->targets.end(), t) != it->targets.end();
	return same ? "unchanged" : "replaced";
}

} // namespace

json to_json(const StorePatch &p)
{
	json objs = json::array();
	for (const ModuleObject &o : p.info.objects)
		objs.push_back({{"name", o.name ? json(*o.name) : json(nullptr)},
				{"build_id", o.build_id}});
	return {{"name", p.name},
		{"file", p.file},
		{"abi_version", p.info.abi_version},
		{"replace", p.info.replace},
		{"objects", objs},
		{"targets", p.targets}};
}

std::string store_dir(const std::string &option)
{
	if (!option.empty())
		return option;
	return store::store_dir_from(getenv("GRAFT_STORE"));
}

std::vector<StorePatch> read_manifest(const std::string &dir)
{
	std::vector<StorePatch> out;
	std::string path = dir + "/" + store::kManifestFile;
	if (access(path.c_str(), F_OK) != 0)
		return out;
	json m = json::parse(read_all(path), nullptr, false);
	if (m.is_discarded() || !m.contains("patches"))
		fail("the store's manifest '" + path + "' is corrupt");
	for (const json &p : m["patches"]) {
		StorePatch sp;
		sp.name = p.value("name", "");
		sp.file = p.value("file", "");
		sp.info.abi_version = p.value("abi_version", 0u);
		sp.info.replace = p.value("replace", false);
		for (const json &o : p.value("objects", json::array())) {
			ModuleObject mo;
			if (o.contains("name") && o["name"].is_string())
				mo.name = o["name"].get<std::string>();
			mo.build_id = o.value("build_id", "");
			sp.info.objects.push_back(mo);
		}
		sp.targets = p.value("targets", std::vector<std::string>{});
		out.push_back(std::move(sp));
	}
	return out;
}

int cmd_install(const std::string &dir, const std::string &file,
		const std::vector<std::string> &targets, bool apply, const Selector &sel,
		const Options &opt)
{
	ModuleInfo info = read_module_info(file);
	std::string name = name_of_module(file);
	check_installable(file, name, info);
	if (apply)
		check_selector(sel);
	std::string rel = std::string(store::kModulesDir) + "/" + name + ".so";
	std::string data = read_all(file), sig = signature_of(file), change;
	if (opt.dry_run) {
		change = store_change(dir, read_manifest(dir), name, data, sig, targets);
	} else {
		StoreLock lock(dir);
		std::vector<StorePatch> patches = read_manifest(dir);
		change = store_change(dir, patches, name, data, sig, targets);
		if (change != "unchanged") { // the same bytes again: the store stays as it is
			patches.erase(
				std::remove_if(patches.begin(), patches.end(),
					       [&](const StorePatch &p) { return p.name == name; }),
				patches.end());
			write_module(dir + "/" + rel, data, sig);
			patches.push_back(StorePatch{name, rel, info, targets_of(info, targets)});
			write_manifest(dir, patches);
			write_index(dir, patches);
		}
	}
	json store = {{"store", {{"name", name}, {"dir", dir}, {"change", change}}}};
	if (!opt.json)
		std::cout << (opt.dry_run ? "dry run: would install" : "installed") << " patch '"
			  << name << "' in " << dir << " (" << change << ")\n";
	if (!apply) {
		if (opt.json) {
			store.update({{"ok", true}, {"dry_run", opt.dry_run}});
			print_json(store);
		}
		return kExitOk;
	}
	return apply_to_processes({Fleet{name, dir + "/" + rel, info}}, sel, opt, store);
}

int cmd_uninstall(const std::string &dir, const std::string &name, const Options &opt)
{
	StoreLock lock(dir);
	std::vector<StorePatch> patches = read_manifest(dir);
	auto it = std::find_if(patches.begin(), patches.end(),
			       [&](const StorePatch &p) { return p.name == name; });
	if (it == patches.end())
		fail("no patch named '" + name + "' is installed in " + dir);
	std::string file = dir + "/" + it->file;
	patches.erase(it);
	write_manifest(dir, patches);
	write_index(dir, patches);
	unlink(file.c_str());
	unlink((file + ".minisig").c_str());
	if (opt.json)
		print_json({{"ok", true}, {"uninstalled", name}});
	else
		std::cout << "uninstalled patch '" << name << "' (running processes keep it: "
			  << "graft disable --all " << name << ")\n";
	return kExitOk;
}

// Drops the patches none of whose build-ids a running process maps or a recorded file
// still has on disk (the library was upgraded and every old process is gone).
int cmd_gc(const std::string &dir, const Options &opt)
{
	StoreLock lock(dir);
	std::vector<StorePatch> patches = read_manifest(dir);
	std::set<std::string> mapped;
	for (pid_t pid : list_pids())
		for (const ProcObject &o : scan_process(pid).objects)
			mapped.insert(o.build_id);
	std::vector<StorePatch> keep;
	json dropped = json::array();
	for (StorePatch &p : patches) {
		bool live = false;
		for (const ModuleObject &o : p.info.objects) {
			live |= mapped.count(o.build_id) > 0;
			for (const std::string &t : p.targets)
				live |= file_build_id(t) == o.build_id;
		}
		if (live) {
			keep.push_back(std::move(p));
			continue;
		}
		dropped.push_back(p.name);
		unlink((dir + "/" + p.file).c_str());
		unlink((dir + "/" + p.file + ".minisig").c_str());
		if (!opt.json)
			std::cout << "removed patch '" << p.name
				  << "': no process maps its build-ids and no file has them\n";
	}
	write_manifest(dir, keep);
	write_index(dir, keep);
	if (opt.json)
		print_json({{"ok", true}, {"removed", dropped}, {"kept", keep.size()}});
	else if (dropped.empty())
		std::cout << "nothing to remove (" << keep.size() << " patch(es) kept)\n";
	return kExitOk;
}

} // namespace graft::cli
