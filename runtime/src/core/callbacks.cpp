// SPDX-License-Identifier: MIT
// callbacks.cpp - running the per-object callbacks, and the object queries patch
// modules may call from them (graft_object_name, graft_object_state).
#include "core/callbacks.hpp"

#include <map>

namespace graft::core {
namespace {

// Objects whose state is not LIVE right now (a library coming or going). Guarded by
// patch_mutex: written and read only while a callback runs under it.
std::map<const graft_object *, enum graft_object_state> states;

} // namespace

int run_pre_patch(Object &obj)
{
	int ret = 0;
	if (obj.desc->callbacks.pre_patch)
		ret = obj.desc->callbacks.pre_patch(obj.desc);
	obj.post_unpatch_enabled = (ret == 0);
	return ret;
}

void run_post_patch(Object &obj)
{
	if (obj.desc->callbacks.post_patch)
		obj.desc->callbacks.post_patch(obj.desc);
}

void run_pre_unpatch(Object &obj)
{
	if (obj.desc->callbacks.pre_unpatch)
		obj.desc->callbacks.pre_unpatch(obj.desc);
}

void run_post_unpatch(Object &obj)
{
	if (obj.post_unpatch_enabled && obj.desc->callbacks.post_unpatch)
		obj.desc->callbacks.post_unpatch(obj.desc);
	obj.post_unpatch_enabled = false;
}

void set_object_state(const graft_object *desc, enum graft_object_state state)
{
	if (state == GRAFT_OBJECT_LIVE)
		states.erase(desc);
	else
		states[desc] = state;
}

} // namespace graft::core

extern "C" GRAFT_API const char *graft_object_name(const struct graft_object *obj)
{
	if (!obj)
		return nullptr;
	return obj->name ? obj->name : graft::core::exe_name().c_str();
}

extern "C" GRAFT_API enum graft_object_state graft_object_state(const struct graft_object *obj)
{
	auto it = graft::core::states.find(obj);
	return it == graft::core::states.end() ? GRAFT_OBJECT_LIVE : it->second;
}
