// SPDX-License-Identifier: MIT
// store_patches.cpp - the patches the dlopen wrapper loads from the store for a library
// before it loads, and what becomes of them after (core/library.cpp enables those it can
// while the library loads).
#include "core/store_patches.hpp"

#include <vector>

#include "base/log.hpp"
#include "control/protocol.hpp"
#include "core/patch.hpp"
#include "symbols/symbols.hpp"

namespace graft::core {

bool store_patch_known(const std::string &path)
{
	std::lock_guard<std::mutex> guard(patch_mutex);
	return find_patch(control::patch_name_of(path)) != nullptr;
}

Result store_patch_prepare(const LoadRequest &req)
{
	std::string name = control::patch_name_of(req.path);
	if (store_patch_known(req.path))
		return {};
	LoadRequest prepare = req;
	prepare.enable = false;
	Result r = patch_load(prepare);
	if (!r.ok)
		return r;
	std::lock_guard<std::mutex> guard(patch_mutex);
	if (Patch *p = find_patch(name); p && !p->enabled)
		p->store_pending = true;
	return {};
}

namespace {

// One of patch's objects is loaded with the build-id it names.
bool applies(const Patch &patch, const std::vector<symbols::Object> &loaded)
{
	for (const auto &obj : patch.objects) {
		const symbols::Object *where = symbols::find_object(loaded, obj->desc->name);
		if (where && !obj->build_id.empty() && where->build_id == obj->build_id)
			return true;
	}
	return false;
}

} // namespace

void store_patches_settle()
{
	std::vector<std::string> enable, unload;
	{
		std::lock_guard<std::mutex> guard(patch_mutex);
		std::vector<symbols::Object> loaded = symbols::list_loaded();
		for (auto &p : patches) {
			if (!p->store_pending)
				continue;
			p->store_pending = false;
			(applies(*p, loaded) ? enable : unload).push_back(p->name);
		}
	}
	for (const std::string &name : enable) {
		Result r = patch_enable(name);
		if (r.ok)
			continue;
		log::printf("graft: cannot enable patch '%s' from the store: %s", name.c_str(),
			    r.error.c_str());
		unload.push_back(name);
	}
	for (const std::string &name : unload)
		patch_unload(name);
}

} // namespace graft::core
