// SPDX-License-Identifier: MIT
// types.hpp - the registry of shadow variable types (the kernel's proposed
// klp_shadow_register/unregister): a count of users per id. The core registers a type
// for each object or state that uses it; when the last user of an id unregisters, every
// variable of that id is freed with the unregistering type's dtor. The typed calls
// (graft_shadow_*_typed) refuse an id nobody registered.
#pragma once

#include <graft/graft.h>

#include <cstddef>
#include <vector>

namespace graft::shadow_vars {

// One more user of type->id. False (and logged) when type is NULL, its id 0, or there
// is no memory for a new id's entry.
// (This and unregister_type are visible outside the object files for the benchmark's
// library; libgraft.so's version script keeps them internal.)
__attribute__((visibility("default"))) bool register_type(const graft_shadow_type *type);

// One user of type->id fewer. The last one frees every variable of the id, running
// type->dtor on each. An id with no user is logged and ignored.
__attribute__((visibility("default"))) void unregister_type(const graft_shadow_type *type);

// Whether id has a user now. Lock-free.
bool type_registered(unsigned long id);

// The registered ids (users > 0) with their users and how many variables each holds
// (counted by scanning the table, under each shard's lock in turn).
struct TypeInfo {
	unsigned long id = 0;
	long users = 0;
	size_t variables = 0;
};
std::vector<TypeInfo> registered_types();

// Fork: the registry lock is held across fork() (taken before the table's shard locks,
// the order unregistration takes them in), so the child gets a consistent registry.
void lock_registry_for_fork();
void unlock_registry_after_fork();

} // namespace graft::shadow_vars
