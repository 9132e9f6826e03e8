// SPDX-License-Identifier: MIT
// types.cpp - the shadow type registry and the typed calls (graft_shadow_*_typed).
//
// Each id that was ever registered has an entry, never freed (ids are few and chosen by
// patch authors), in a small hash of singly linked buckets. Entries are published with
// a release store and never unlinked, so the typed calls read them without a lock;
// registration and unregistration are serialised by registry_lock.
#include "shadow/types.hpp"

#include <atomic>
#include <mutex>
#include <new>

#include "core/log.hpp"
#include "shadow/table.hpp"

namespace graft::shadow_vars {
namespace {

struct TypeEntry {
	unsigned long id;
	std::atomic<long> users{0};
	TypeEntry *next; // written before the entry is published, then never again
};

constexpr size_t kTypeBuckets = 64;

// Bucket heads: stored with release after the entry is filled, loaded with acquire by
// the lock-free readers (find_entry).
constinit std::atomic<TypeEntry *> buckets[kTypeBuckets];

// Serialises register/unregister: the entry's creation, its count, and the freeing of
// an id's variables when the count reaches zero (so a new registration of the id waits
// until its old variables are gone).
std::mutex registry_lock;

size_t bucket_of(unsigned long id)
{
	return size_t(hash(nullptr, id) >> (64 - 6));
}
static_assert(kTypeBuckets == 64, "bucket_of takes 6 bits");

TypeEntry *find_entry(unsigned long id)
{
	// Pairs with the release store in entry_for: a visible entry is complete.
	for (TypeEntry *e = buckets[bucket_of(id)].load(std::memory_order_acquire); e; e = e->next)
		if (e->id == id)
			return e;
	return nullptr;
}

// Under registry_lock.
TypeEntry *entry_for(unsigned long id)
{
	if (TypeEntry *e = find_entry(id))
		return e;
	auto *e = new (std::nothrow) TypeEntry{id, {0}, nullptr};
	if (!e)
		return nullptr;
	std::atomic<TypeEntry *> &head = buckets[bucket_of(id)];
	e->next = head.load(std::memory_order_relaxed);
	head.store(e, std::memory_order_release); // publishes id and next
	return e;
}

// Refusals of unregistered types are logged up to this many times per process: a
// patch that forgot a registration calls them on a hot path.
constexpr long kMaxRefusalLogs = 64;
std::atomic<long> refusals;

// The seed's check of the typed calls. True when the call may go on.
bool check(const char *what, const void *obj, const graft_shadow_type *type)
{
	if (type && type->id && type_registered(type->id))
		return true;
	long n = refusals.fetch_add(1, std::memory_order_relaxed);
	if (n < kMaxRefusalLogs)
		log::printf("graft: %s of shadow variable <%p, %lx>: type %lx is not registered "
			    "(list it in the object's shadow_types or a state's shadow_type)",
			    what, obj, type ? type->id : 0, type ? type->id : 0);
	else if (n == kMaxRefusalLogs)
		log::printf("graft: further refusals of unregistered shadow types are not logged");
	return false;
}

} // namespace

bool register_type(const graft_shadow_type *type)
{
	if (!type || !type->id) {
		log::printf("graft: cannot register a shadow type %s", type ? "with id 0" : "NULL");
		return false;
	}
	std::lock_guard<std::mutex> guard(registry_lock);
	TypeEntry *e = entry_for(type->id);
	if (!e) {
		log::printf("graft: cannot register shadow type %lx: out of memory", type->id);
		return false;
	}
	e->users.fetch_add(1, std::memory_order_relaxed);
	return true;
}

void unregister_type(const graft_shadow_type *type)
{
	if (!type || !type->id)
		return;
	std::lock_guard<std::mutex> guard(registry_lock);
	TypeEntry *e = find_entry(type->id);
	if (!e || e->users.load(std::memory_order_relaxed) <= 0) {
		log::printf("graft: shadow type %lx unregistered more often than registered",
			    type->id);
		return;
	}
	// The count drops first: typed calls are refused from here on, then the variables
	// go (the core calls this when no thread runs code that uses them any more).
	if (e->users.fetch_sub(1, std::memory_order_relaxed) == 1)
		graft_shadow_free_all(type->id, type->dtor);
}

bool type_registered(unsigned long id)
{
	TypeEntry *e = find_entry(id);
	return e && e->users.load(std::memory_order_relaxed) > 0;
}

std::vector<TypeInfo> registered_types()
{
	std::vector<TypeInfo> out;
	{
		std::lock_guard<std::mutex> guard(registry_lock); // counts stable while copied
		for (auto &head : buckets)
			for (TypeEntry *e = head.load(std::memory_order_acquire); e; e = e->next)
				if (long users = e->users.load(std::memory_order_relaxed); users > 0)
					out.push_back(TypeInfo{e->id, users, 0});
	}
	for (TypeInfo &t : out)
		t.variables = count_id(t.id);
	return out;
}

} // namespace graft::shadow_vars

using namespace graft::shadow_vars;

extern "C" GRAFT_API void *graft_shadow_get_typed(void *obj, const struct graft_shadow_type *type)
{
	if (!check("get", obj, type))
		return nullptr;
	return graft_shadow_get(obj, type->id);
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
