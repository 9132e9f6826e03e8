// SPDX-License-Identifier: MIT
// callbacks.cpp - running the per-object callbacks, and the object queries patch
// modules may call from them (graft_object_name, graft_object_state).
#include "core/callbacks.hpp"

#include <cerrno>

#include "base/log.hpp"
#include "core/shadow_types.hpp"

namespace graft::core {
namespace {

// The object whose callback this thread is running (graft_object_state() answers for
// it). Per thread: callbacks run on the control thread, the transition thread, or an
// application thread loading or unloading a library.
thread_local const Object *running;

template <typename Fn> void call(const Object &obj, Fn fn)
{
	const Object *outer = running;
	running = &obj;
	fn();
	running = outer;
}

} // namespace

// The object's shadow types are registered before pre_patch (which may allocate
// variables) and unregistered after post_unpatch (which may still use them).
int run_pre_patch(Object &obj)
{
	if (!register_object_shadow_types(obj)) {
		log::printf("graft: cannot register the shadow types of object '%s'",
			    obj.name.c_str());
		obj.post_unpatch_enabled = false;
		return -ENOMEM;
	}
	int ret = 0;
	if (obj.desc->callbacks.pre_patch)
		call(obj, [&] { ret = obj.desc->callbacks.pre_patch(obj.desc); });
	obj.post_unpatch_enabled = (ret == 0);
	if (ret)
		unregister_object_shadow_types(obj);
	return ret;
}

void run_post_patch(Object &obj)
{
	if (obj.desc->callbacks.post_patch)
		call(obj, [&] { obj.desc->callbacks.post_patch(obj.desc); });
}

void run_pre_unpatch(Object &obj)
{
	if (obj.desc->callbacks.pre_unpatch)
		call(obj, [&] { obj.desc->callbacks.pre_unpatch(obj.desc); });
}

void run_post_unpatch(Object &obj)
{
	if (obj.post_unpatch_enabled && obj.desc->callbacks.post_unpatch)
		call(obj, [&] { obj.desc->callbacks.post_unpatch(obj.desc); });
	obj.post_unpatch_enabled = false;
	unregister_object_shadow_types(obj);
}

const Object *running_object()
{
	return running;
}

enum graft_object_state object_state(const graft_object *desc)
{
	if (running && running->desc == desc)
		return running->state;
	return GRAFT_OBJECT_LIVE;
}

} // namespace graft::core

extern "C" GRAFT_API const char *graft_object_name(const struct graft_object *obj)
{
	if (!obj)
		return nullptr;
	return obj->name ? obj->name : graft::core::exe_name().c_str();
}

// COMING while a library is being loaded (its constructors have not run yet), GOING
// while it is being unloaded (its destructors have run), LIVE otherwise.
extern "C" GRAFT_API enum graft_object_state graft_object_state(const struct graft_object *obj)
{
	return graft::core::object_state(obj);
}
