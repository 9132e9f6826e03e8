// SPDX-License-Identifier: MIT
// table.cpp - the shadow table's writer side: insert, erase, rebuild (grow, shrink,
// drop tombstones) with RCU-deferred reclamation of replaced arrays.
#include "shadow/table.hpp"
#include "shadow/types.hpp"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace graft::shadow_vars {
namespace {

Table *table_new(size_t capacity)
{
	size_t bytes = 64 + capacity * sizeof(Slot);
	// 64-aligned so that slot pairs share a cache line and none straddles two.
	void *mem = aligned_alloc(64, bytes);
	if (!mem)
		return nullptr;
	memset(mem, 0, bytes); // every slot empty (data == nullptr)
	auto *t = new (mem) Table{};
	t->mask = capacity - 1;
	for (size_t i = 0; i < capacity; i++)
		new (&t->slots()[i]) Slot{nullptr, 0, {nullptr}, 0};
	return t;
}

void table_free_cb(rcu_head *head)
{
	rcu::tsan_acquire(); // the grace period: readers of this array are done
	auto *t = reinterpret_cast<Table *>(reinterpret_cast<char *>(head) - offsetof(Table, rcu));
	free(t);
}

// Fills an empty slot of t; the data store publishes the key written before it.
void place(Table *t, const void *obj, unsigned long id, uint64_t h, void *data,
	   std::memory_order order)
{
	Slot *slots = t->slots();
	size_t i = h & t->mask;
	while (slots[i].data.load(std::memory_order_relaxed))
		i = (i + 1) & t->mask;
	slots[i].obj = const_cast<void *>(obj);
	slots[i].id = id;
	slots[i].data.store(data, order);
}

size_t capacity_for(size_t live)
{
	// At most half full after a rebuild; rebuilt again at three quarters.
	return std::max(kMinCapacity, std::bit_ceil(2 * live + 2));
}

// Replaces sh's array by one of capacity (0: none) holding only the live variables.
bool rebuild(Shard &sh, size_t capacity)
{
	Table *old = sh.table.load(std::memory_order_relaxed); // we are the only writer
	Table *t = nullptr;
	if (capacity) {
		t = table_new(capacity);
		if (!t)
			return false;
	}
	if (old && t) {
		Slot *slots = old->slots();
		for (size_t i = 0; i < old->capacity(); i++) {
			void *d = slots[i].data.load(std::memory_order_relaxed);
			if (d && d != kTombstone)
				place(t, slots[i].obj, slots[i].id, hash(slots[i].obj, slots[i].id),
				      d, std::memory_order_relaxed); // published below
		}
	}
	// Pairs with the acquire in lookup(): the filled array becomes visible whole.
	sh.table.store(t, std::memory_order_release);
	sh.used = sh.live;
	if (old)
		rcu::defer(&old->rcu, table_free_cb); // readers may still probe it
	return true;
}

} // namespace

bool reserve_locked(Shard &sh)
{
	Table *t = sh.table.load(std::memory_order_relaxed); // we are the only writer
	// Keep at least a quarter of the slots empty: probes stay short and always end.
	if (t && 4 * (sh.used + 1) <= 3 * t->capacity())
		return true;
	return rebuild(sh, capacity_for(sh.live + 1));
}

void insert_locked(Shard &sh, const void *obj, unsigned long id, uint64_t h, void *data)
{
	// Release pairs with the acquire in find(): obj and id are visible with data.
	place(sh.table.load(std::memory_order_relaxed), obj, id, h, data,
	      std::memory_order_release);
	sh.used++;
	sh.live++;
}

void *erase_locked(Shard &sh, const void *obj, unsigned long id, uint64_t h)
{
	Table *t = sh.table.load(std::memory_order_relaxed);
	if (!t)
		return nullptr;
	Slot *slots = t->slots();
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		void *d = slots[i].data.load(std::memory_order_relaxed);
		if (!d)
			return nullptr;
		if (d == kTombstone || slots[i].obj != obj || slots[i].id != id)
			continue;
		// Readers that see the tombstone read nothing else from the slot.
		slots[i].data.store(kTombstone, std::memory_order_relaxed);
		sh.live--;
		maybe_shrink_locked(sh);
		return d;
	}
}

void maybe_shrink_locked(Shard &sh)
{
	Table *t = sh.table.load(std::memory_order_relaxed);
	if (!t)
		return;
	if (sh.live == 0)
		rebuild(sh, 0); // an empty shard holds no array
	else if (t->capacity() > kMinCapacity && 8 * sh.live < t->capacity())
		rebuild(sh, capacity_for(sh.live)); // on failure the old array simply stays
}

Stats stats()
{
	Stats s;
	for (Shard &sh : shards) {
		std::lock_guard<std::mutex> guard(sh.lock); // live and the array are stable
		s.live += sh.live;
		if (Table *t = sh.table.load(std::memory_order_relaxed)) {
			s.slots += t->capacity();
			s.table_bytes += 64 + t->capacity() * sizeof(Slot);
		}
	}
	return s;
}

size_t count_id(unsigned long id)
{
	size_t n = 0;
	for (Shard &sh : shards) {
		std::lock_guard<std::mutex> guard(sh.lock); // the array and its slots are stable
		const Table *t = sh.table.load(std::memory_order_relaxed);
		if (!t)
			continue;
		const Slot *slots = t->slots();
		for (size_t i = 0; i < t->capacity(); i++) {
			void *d = slots[i].data.load(std::memory_order_relaxed);
			n += d && d != kTombstone && slots[i].id == id;
		}
	}
	return n;
}

// Fork (pthread_atfork order: before, then after_* in the parent or the child). The type
// registry's lock first, then the shard locks in index order, the only order anyone
// holds two in (a last unregistration frees under the registry lock); then liburcu's
// call_rcu thread is paused and its registry locked, so the child inherits consistent
// state and a working call_rcu. Only if liburcu-bp is loaded when the fork begins: the
// after handlers undo what before_fork did, not what a load finished meanwhile on
// another thread would call for (fork_lib, the forking thread's only).
namespace {
const rcu::Lib *fork_lib;
}

void before_fork()
{
	lock_registry_for_fork(); // before the shards: unregistration holds it while freeing
	for (Shard &sh : shards)
		sh.lock.lock();
	fork_lib = rcu::lib.load(std::memory_order_acquire); // pairs with lib_load's release
	if (fork_lib) {
		fork_lib->call_rcu_before_fork();
		fork_lib->before_fork();
	}
}

void after_fork_parent()
{
	if (fork_lib) {
		fork_lib->after_fork_parent();
		fork_lib->call_rcu_after_fork_parent();
	}
	for (Shard &sh : shards)
		sh.lock.unlock();
	unlock_registry_after_fork();
}

void after_fork_child()
{
	// The child has only the forking thread, which holds every lock: release them.
	if (fork_lib) {
		fork_lib->after_fork_child();
		fork_lib->call_rcu_after_fork_child(); // a new call_rcu thread for the child
	}
	for (Shard &sh : shards)
		sh.lock.unlock();
	unlock_registry_after_fork();
}

} // namespace graft::shadow_vars
