// SPDX-License-Identifier: MIT
// callbacks.hpp - the per-object callbacks with the kernel's pairing rules:
// pre_patch <-> post_unpatch, post_patch <-> pre_unpatch; an unpatch callback runs only
// if its partner ran. Called with patch_mutex held.
#pragma once

#include "core/patch.hpp"

namespace graft::core {

// pre_patch (missing counts as success); remembers success for post_unpatch.
// Returns 0 or the callback's -errno.
int run_pre_patch(Object &obj);
void run_post_patch(Object &obj);
void run_pre_unpatch(Object &obj);
// Only if pre_patch ran and succeeded; then forgets it.
void run_post_unpatch(Object &obj);

// The object whose callback the calling thread is running, or nullptr.
const Object *running_object();

// What graft_object_state() answers: the state of the object whose callback the
// calling thread is running (Object::state), else LIVE.
enum graft_object_state object_state(const graft_object *desc);

} // namespace graft::core
