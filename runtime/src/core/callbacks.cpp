// SPDX-License-Identifier: MIT
// callbacks.cpp - running the per-object callbacks, and the object queries patch
// modules may call from them (graft_object_name, graft_object_state).
#include "core/callbacks.hpp"

namespace graft::core {

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


} // namespace graft::core

extern "C" GRAFT_API const char *graft_object_name(const struct graft_object *obj)
{
	if (!obj)
		return nullptr;
	return obj->name ? obj->name : graft::core::exe_name().c_str();
}

// Every callback runs today for a loaded object being enabled or disabled: LIVE. COMING
// and GOING arrive with patching libraries as they load and unload (issue 4).
extern "C" GRAFT_API enum graft_object_state graft_object_state(const struct graft_object *)
{
	return GRAFT_OBJECT_LIVE;
}
