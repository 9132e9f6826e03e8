// SPDX-License-Identifier: MIT
// autoload.cpp - the runtime pulls its patches from the store (no daemon: the store on
// disk is the persistence, as /var/lib/kpatch is for kpatch).
#include "store/autoload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "base/log.hpp"
#include "control/load.hpp"
#include "control/protocol.hpp"
#include "core/api.hpp"
#include "core/store_patches.hpp"
#include "store/index.hpp"
#include "symbols/symbols.hpp"

namespace graft::store {
namespace {

// Set once by enable_at_start (the constructor), read-only afterwards.
std::string store_dir;
bool store_seen = false; // the store existed at start: dlopen looks it up again
thread_local bool in_wrapper = false;
thread_local bool prepared = false;

bool cmdline_disables()
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, "graft.enable=0")); p++)
		if ((p == buf || p[-1] == ' ') && (p[14] == '\0' || p[14] == ' ' || p[14] == '\n'))
			return true;
	return false;
}

// A module loads only as graft load would load it: opened once, checked (regular
// file, owner, mode), held to the policy as the system store (signature, keys,
// revocations, expiry, build-ids) and mapped from that descriptor (control/load.hpp).
// A refusal is logged with its reason and skipped: the process runs on unchanged.
// libsodium is mapped only here, so only when an entry matches.
bool load_one(const Match &m, bool enable)
{
	if (!enable && core::store_patch_known(m.file))
		return false;
	control::Loader load = enable ? control::Loader(core::patch_load)
				      : control::Loader(core::store_patch_prepare);
	control::LoadDone done = control::load_from_store(m.file, enable, load);
	if (!done.result.ok)
		log::printf("graft: store patch '%s' not %s: %s",
			    control::patch_name_of(m.file).c_str(), enable ? "enabled" : "loaded",
			    done.result.error.c_str());
	return done.result.ok;
}

std::string name_of(const std::string &path)
{
	return path.substr(path.rfind('/') + 1);
}

} // namespace

bool runtime_disabled()
{
	std::string flag = config_dir_from(secure_getenv("GRAFT_CONFIG_DIR")) + "/" + kDisableFile;
	return access(flag.c_str(), F_OK) == 0 || cmdline_disables();
}

void enable_at_start()
{
	store_dir = store_dir_from(secure_getenv("GRAFT_STORE"));
	Index index;
	std::string why;
	if (!index.open(store_dir, &why)) {
		if (!why.empty())
			log::printf("graft: patch store not used: %s", why.c_str());
		return;
	}
	store_seen = true;
	// Every module filed under a loaded object's build-id (and that object's name),
	// once, in file order: a cumulative module that sorts last replaces the others.
	std::map<std::pair<uint32_t, std::string>, Match> todo;
	for (const symbols::Object &obj : symbols::list_loaded())
		for (Match &m : index.find_build_id(obj.build_id))
			if (symbols::object_matches(obj,
						    m.object.empty() ? nullptr : m.object.c_str()))
				todo.emplace(std::make_pair(m.order, m.file), std::move(m));
	for (auto &[key, m] : todo) {
		in_wrapper = true; // the module's own dlopen is not a library load to look up
		if (load_one(m, true))
			log::printf("graft: patch '%s' enabled from the store",
				    name_of(m.file).c_str());
		in_wrapper = false;
	}
}

void before_dlopen(const char *file)
{
	if (!store_seen || !file || in_wrapper)
		return;
	in_wrapper = true;
	Index index;
	std::string why;
	if (index.open(store_dir, &why)) {
		std::vector<Match> found = index.find_object(name_of(file));
		std::sort(found.begin(), found.end(),
			  [](const Match &a, const Match &b) { return a.order < b.order; });
		for (const Match &m : found)
			prepared |= load_one(m, false);
	}
	in_wrapper = false;
}

void after_dlopen()
{
	if (!prepared || in_wrapper)
		return;
	prepared = false;
	in_wrapper = true;
	core::store_patches_settle();
	in_wrapper = false;
}

} // namespace graft::store
