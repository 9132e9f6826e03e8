// SPDX-License-Identifier: MIT
// types.cpp - the shadow type registry and the typed calls (graft_shadow_*_typed).
//
// Each id that was ever registered has a slot in a fixed open-addressing array (16 bytes
// a slot, four to a cache line), never given back: ids are few and chosen by patch
// authors. A slot's id is written once, so the typed calls find it without a lock in
// one cache line, usually the first probed; registration and unregistration are
// serialised by registry_lock.
#include "shadow/types.hpp"

#include <atomic>
#include <mutex>

#include "base/log.hpp"
#include "shadow/table.hpp"

namespace graft::shadow_vars {
namespace {

struct alignas(16) TypeSlot {
	std::atomic<unsigned long> id{0}; // 0: empty (ends a probe); else set once
	std::atomic<long> users{0};
};

constexpr unsigned kTypeBits = 10;
constexpr size_t kTypeSlots = size_t(1) << kTypeBits;
constexpr size_t kMaxTypes = kTypeSlots * 3 / 4; // probes stay short and always end

constinit TypeSlot type_slots[kTypeSlots]; // 16 KiB of .bss

// Serialises register/unregister: claiming a slot, the count, and the freeing of an
// id's variables when the count reaches zero (a new registration of the id waits until
// its old variables are gone).
std::mutex registry_lock;
size_t types_used; // slots claimed (under registry_lock)

size_t home_of(unsigned long id)
{
	return size_t((uint64_t(id) * 0x9e3779b97f4a7c15ull) >> (64 - kTypeBits));
}

TypeSlot *find_slot(unsigned long id)
{
	for (size_t i = home_of(id);; i = (i + 1) & (kTypeSlots - 1)) {
		// Relaxed: the id is the whole key, and users is read atomically on its own.
		unsigned long s = type_slots[i].id.load(std::memory_order_relaxed);
		if (s == id)
			return &type_slots[i];
		if (!s)
			return nullptr;
	}
}

// Under registry_lock: the id's slot, claimed if new; nullptr when the array is full.
TypeSlot *slot_for(unsigned long id)
{
	if (TypeSlot *t = find_slot(id))
		return t;
	if (types_used == kMaxTypes)
		return nullptr;
	size_t i = home_of(id);
	while (type_slots[i].id.load(std::memory_order_relaxed))
		i = (i + 1) & (kTypeSlots - 1);
	types_used++;
	type_slots[i].id.store(id, std::memory_order_relaxed); // users is still 0
	return &type_slots[i];
}

// Refusals of unregistered types are logged up to this many times per process: a
// patch that forgot a registration calls them on a hot path.
constexpr long kMaxRefusalLogs = 64;
std::atomic<long> refusals;

// Logs a refusal (out of line: the typed calls' fast path stays small).
__attribute__((noinline, cold)) bool refuse(const char *what, const void *obj,
					    const graft_shadow_type *type)
{
	long n = refusals.fetch_add(1, std::memory_order_relaxed);
	if (n < kMaxRefusalLogs)
		log::printf("graft: %s of shadow variable <%p, %lx>: type %lx is not registered "
			    "(list it in the object's shadow_types or a state's shadow_type)",
			    what, obj, type ? type->id : 0, type ? type->id : 0);
	else if (n == kMaxRefusalLogs)
		log::printf("graft: further refusals of unregistered shadow types are not logged");
	return false;
}

// The seed's check of the typed calls. True when the call may go on.
inline bool check(const char *what, const void *obj, const graft_shadow_type *type)
{
	if (__builtin_expect(type && type->id, 1)) {
		TypeSlot *t = find_slot(type->id);
		if (__builtin_expect(t && t->users.load(std::memory_order_relaxed) > 0, 1))
			return true;
	}
	return refuse(what, obj, type);
}

} // namespace

bool register_type(const graft_shadow_type *type)
{
	if (!type || !type->id) {
		log::printf("graft: cannot register a shadow type %s", type ? "with id 0" : "NULL");
		return false;
	}
	std::lock_guard<std::mutex> guard(registry_lock);
	TypeSlot *t = slot_for(type->id);
	if (!t) {
		log::printf("graft: cannot register shadow type %lx: %zu ids are registered "
			    "already, the most graft keeps",
			    type->id, kMaxTypes);
		return false;
	}
	t->users.fetch_add(1, std::memory_order_relaxed);
	return true;
}

void unregister_type(const graft_shadow_type *type)
{
	if (!type || !type->id)
		return;
	std::lock_guard<std::mutex> guard(registry_lock);
	TypeSlot *t = find_slot(type->id);
	if (!t || t->users.load(std::memory_order_relaxed) <= 0) {
		log::printf("graft: shadow type %lx unregistered more often than registered",
			    type->id);
		return;
	}
	// The count drops first: typed calls are refused from here on, then the variables
	// go (the core calls this when no thread runs code that uses them any more).
	if (t->users.fetch_sub(1, std::memory_order_relaxed) == 1)
		graft_shadow_free_all(type->id, type->dtor);
}

bool type_registered(unsigned long id)
{
	TypeSlot *t = find_slot(id);
	return t && t->users.load(std::memory_order_relaxed) > 0;
}

std::vector<TypeInfo> registered_types()
{
	std::vector<TypeInfo> out;
	{
		std::lock_guard<std::mutex> guard(registry_lock); // counts stable while copied
		for (TypeSlot &t : type_slots)
			if (long users = t.users.load(std::memory_order_relaxed); users > 0)
				out.push_back(
					TypeInfo{t.id.load(std::memory_order_relaxed), users, 0});
	}
	for (TypeInfo &t : out)
		t.variables = count_id(t.id);
	return out;
}

void lock_registry_for_fork()
{
	registry_lock.lock();
}

void unlock_registry_after_fork()
{
	registry_lock.unlock(); // in the child, by the forking thread that locked it
}

} // namespace graft::shadow_vars

using namespace graft::shadow_vars;

extern "C" GRAFT_API void *graft_shadow_get_typed(void *obj, const struct graft_shadow_type *type)
{
	if (__builtin_expect(!type || !type->id, 0)) {
		refuse("get", obj, type);
		return nullptr;
	}
	// The lookup first, the registry check after: the two read unrelated lines (the
	// table's bucket and node, the type's slot), so the CPU overlaps their misses
	// instead of waiting for the slot before it starts the lookup. Nothing is used
	// before the check says the call may go on.
	void *data = lookup(obj, type->id, hash(obj, type->id)); // graft_shadow_get, inline
	return check("get", obj, type) ? data : nullptr;
}

extern "C" GRAFT_API void *graft_shadow_alloc_typed(void *obj, const struct graft_shadow_type *type,
						    size_t size, void *ctor_data)
{
	if (!check("alloc", obj, type))
		return nullptr;
	return graft_shadow_alloc(obj, type->id, size, type->ctor, ctor_data);
}

extern "C" GRAFT_API void *graft_shadow_get_or_alloc_typed(void *obj,
							   const struct graft_shadow_type *type,
							   size_t size, void *ctor_data)
{
	if (!check("get_or_alloc", obj, type))
		return nullptr;
	return graft_shadow_get_or_alloc(obj, type->id, size, type->ctor, ctor_data);
}

extern "C" GRAFT_API void graft_shadow_free_typed(void *obj, const struct graft_shadow_type *type)
{
	if (check("free", obj, type))
		graft_shadow_free(obj, type->id, type->dtor);
}

extern "C" GRAFT_API void graft_shadow_free_all_typed(const struct graft_shadow_type *type)
{
	if (check("free_all", nullptr, type))
		graft_shadow_free_all(type->id, type->dtor);
}
