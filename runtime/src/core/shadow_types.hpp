// SPDX-License-Identifier: MIT
// shadow_types.hpp - when the core registers and unregisters shadow variable types
// (shadow/types.hpp): an object's shadow_types while it is patched, a state's
// shadow_type while a patch that carries the state is installed. Each step's place in
// the transition, and why no thread can touch a freed variable, is in
// docs/shadow-variables.md ("When types are registered"). Called with patch_mutex held.
#pragma once

#include <string>

#include "core/patch.hpp"

namespace graft::core {

// Load: a state's shadow_type must have the state's id, and no listed type has id 0.
bool check_shadow_types(const Patch &patch, std::string *why);

// Before the object's pre_patch. False when a type cannot be registered (no memory):
// none of the object's types stays registered.
bool register_object_shadow_types(Object &obj);
// After the object's post_unpatch, or when a replace patch took over its patch.
void unregister_object_shadow_types(Object &obj);

// Enable, before any pre_patch: the shadow types of the patch's states.
bool register_state_shadow_types(Patch &patch, std::string *why);
// The patch's states are gone: its unpatching (or cancelled) transition completed.
void unregister_state_shadow_types(Patch &patch);

// A replace patch's transition completed and its post_patch callbacks ran: the
// replaced patches (handing_over) give up their objects' and states' types.
void unregister_replaced_shadow_types();

// True while this thread frees variables for the core (with patch_mutex held): a dtor
// that calls graft_get_state must not take the lock again.
bool in_shadow_release();

// Whether a state declares a shadow type (ABI version 3 modules only).
const graft_shadow_type *state_shadow_type(const Patch &patch, const graft_state &state);

} // namespace graft::core
