// SPDX-License-Identifier: MIT
// shadow.cpp - graft_shadow_*: the kernel's klp_shadow_* semantics over the lock-free
// table (see table.hpp).
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "base/log.hpp"
#include "shadow/table.hpp"

namespace graft::shadow_vars {
namespace {

// Set while this thread runs a ctor or dtor under a shard lock. Those run under the lock
// (as the kernel runs them under klp_shadow_lock) so they must not alloc or free shadow
// variables themselves: that would deadlock, so it is refused instead.
thread_local bool t_in_callback = false;

struct CallbackScope {
	CallbackScope() { t_in_callback = true; }
	~CallbackScope() { t_in_callback = false; }
};

bool refuse_nested(const char *what, const void *obj, unsigned long id)
{
	if (!t_in_callback)
		return false;
	log::printf("graft: %s of shadow variable <%p, %lx> from a shadow ctor/dtor refused", what,
		    obj, id);
	return true;
}

Var *var_new(void *obj, unsigned long id, size_t size)
{
	if (size > SIZE_MAX - sizeof(Var))
		return nullptr;
	// calloc: the data is zeroed unless a ctor fills it; malloc's alignment is
	// alignof(max_align_t), and Var's size keeps the data at that alignment.
	auto *v = static_cast<Var *>(calloc(1, sizeof(Var) + size));
	if (!v)
		return nullptr;
	v->obj = obj;
	v->id = id;
	return v;
}

void var_free_cb(rcu_head *head)
{
	rcu::tsan_acquire(); // the grace period: readers of this variable are done
	free(reinterpret_cast<Var *>(reinterpret_cast<char *>(head) - offsetof(Var, rcu)));
}

// Runs the dtor now (readers may still hold the data, as in the kernel) and frees the
// memory after a grace period.
void retire(void *obj, void *data, graft_shadow_dtor_t dtor)
{
	if (dtor) {
		CallbackScope scope;
		dtor(obj, data);
	}
	rcu::defer(&Var::of(data)->rcu, var_free_cb);
}

enum class Outcome { inserted, exists, ctor_failed, no_memory };

// Under the shard lock: checks again, constructs and inserts v.
Outcome insert_var(Shard &sh, Var *v, uint64_t h, graft_shadow_ctor_t ctor, void *ctor_data,
		   void **existing, int *err)
{
	std::lock_guard<std::mutex> guard(sh.lock); // serialises <obj, id>'s check+ctor+insert
	*existing = find(sh.table.load(std::memory_order_relaxed), v->obj, v->id, h);
	if (*existing)
		return Outcome::exists;
	if (!reserve_locked(sh))
		return Outcome::no_memory; // before the ctor: nothing to undo
	if (ctor) {
		// Before the insert: a variable is visible to get() only once complete.
		CallbackScope scope;
		*err = ctor(v->obj, v->data(), ctor_data);
		if (*err)
			return Outcome::ctor_failed;
	}
	insert_locked(sh, v->obj, v->id, h, v->data());
	return Outcome::inserted;
}

void *on_exists(void *obj, unsigned long id, void *existing, bool warn_on_exist)
{
	if (!warn_on_exist)
		return existing;
	log::printf("graft: Duplicate shadow variable <%p, %lx>", obj, id);
	return nullptr;
}

void *get_or_alloc(void *obj, unsigned long id, size_t size, graft_shadow_ctor_t ctor,
		   void *ctor_data, bool warn_on_exist)
{
	uint64_t h = hash(obj, id);
	if (void *d = lookup(obj, id, h)) // fast path: no lock, no allocation
		return on_exists(obj, id, d, warn_on_exist);
	if (refuse_nested("alloc", obj, id))
		return nullptr;
	Var *v = var_new(obj, id, size); // allocate outside the lock, as the kernel does
	if (!v)
		return nullptr;
	void *existing = nullptr;
	int err = 0;
	Outcome outcome = insert_var(shard_of(h), v, h, ctor, ctor_data, &existing, &err);
	if (outcome == Outcome::inserted)
		return v->data();
	free(v); // never published: no reader can see it
	if (outcome == Outcome::exists)
		return on_exists(obj, id, existing, warn_on_exist);
	if (outcome == Outcome::ctor_failed)
		log::printf("graft: Failed to construct shadow variable <%p, %lx> (%d)", obj, id,
			    err);
	return nullptr;
}

} // namespace
} // namespace graft::shadow_vars

using namespace graft::shadow_vars;

extern "C" GRAFT_API void *graft_shadow_get(void *obj, unsigned long id)
{
	return lookup(obj, id, hash(obj, id));
}

extern "C" GRAFT_API void *graft_shadow_alloc(void *obj, unsigned long id, size_t size,
					      graft_shadow_ctor_t ctor, void *ctor_data)
{
	return get_or_alloc(obj, id, size, ctor, ctor_data, true);
}

extern "C" GRAFT_API void *graft_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
						     graft_shadow_ctor_t ctor, void *ctor_data)
{
	return get_or_alloc(obj, id, size, ctor, ctor_data, false);
}

extern "C" GRAFT_API void graft_shadow_free(void *obj, unsigned long id, graft_shadow_dtor_t dtor)
{
	if (refuse_nested("free", obj, id))
		return;
	uint64_t h = hash(obj, id);
	Shard &sh = shard_of(h);
	// The dtor runs under the lock, like the kernel's: it cannot overlap the ctor or
	// dtor of the same <obj, id> on another thread.
	std::lock_guard<std::mutex> guard(sh.lock);
	if (void *data = erase_locked(sh, obj, id, h))
		retire(obj, data, dtor);
}

extern "C" GRAFT_API void graft_shadow_free_all(unsigned long id, graft_shadow_dtor_t dtor)
{
	if (refuse_nested("free_all", nullptr, id))
		return;
	for (size_t i = 0; i < kShards; i++) {
		Shard &sh = shard_of(uint64_t(i) << (64 - kShardBits));
		std::lock_guard<std::mutex> guard(sh.lock); // one shard at a time
		erase_id_locked(sh, id, [dtor](void *obj, void *data) { retire(obj, data, dtor); });
	}
}
