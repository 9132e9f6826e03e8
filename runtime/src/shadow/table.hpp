// SPDX-License-Identifier: MIT
// table.hpp - the shadow variable table: <obj, id> -> data, lock-free lookups.
// (Namespace graft::shadow_vars: graft::shadow is <graft/graft.hpp>'s class template.)
//
// 32 shards, each an open-addressing (linear probing) array of slots that holds the key
// inline next to the data pointer, published through an RCU pointer. A lookup reads the
// shard's table pointer (a hot line), then the slot's cache line: about one cache miss,
// where a chained table (cds_lfht, the kernel's hlist) pays a miss per node visited.
//
// Writers of a shard are serialised by its mutex (the "stripe"). A slot's key is written
// once per array: empty -> live (key, then data published) -> tombstone. A slot is never
// reused in place, so a reader that sees a live data pointer reads the key that belongs
// to it. Tombstones go when the shard is rebuilt: a new array is filled, published, and
// the old one is reclaimed after a grace period. Rebuilds also grow and shrink the array
// with the number of live variables.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "shadow/rcu.hpp"

namespace graft::shadow_vars {

// One shadow variable: this header, then the data, aligned for any type.
struct Var {
	void *obj;
	unsigned long id;
	rcu_head rcu; // reclamation after the grace period that follows its removal

	void *data() { return reinterpret_cast<char *>(this) + sizeof(Var); }
	static Var *of(void *data)
	{
		return reinterpret_cast<Var *>(static_cast<char *>(data) - sizeof(Var));
	}
};
static_assert(sizeof(Var) % alignof(std::max_align_t) == 0, "data must stay max-aligned");

// data: nullptr = empty (ends a probe), kTombstone = removed, else the variable's data.
// obj and id are written before data is published and never change while the array
// lives, so readers read them plainly after the acquire load of a live data pointer.
struct Slot {
	void *obj;
	unsigned long id;
	std::atomic<void *> data;
	uintptr_t unused; // pads the slot to 32 bytes: two slots per cache line, none split
};
static_assert(sizeof(Slot) == 32);

inline void *const kTombstone = reinterpret_cast<void *>(uintptr_t(1));

struct Table {
	rcu_head rcu; // reclamation of a replaced array
	size_t mask;  // capacity - 1; capacity is a power of two
	size_t capacity() const { return mask + 1; }
	// The slots start at the next cache line (see table_new).
	Slot *slots() { return reinterpret_cast<Slot *>(reinterpret_cast<char *>(this) + 64); }
	const Slot *slots() const
	{
		return reinterpret_cast<const Slot *>(reinterpret_cast<const char *>(this) + 64);
	}
};

// 32 shards: enough stripes for concurrent writers, and fork holds all their locks
// (below the 64 locks ThreadSanitizer can track in one thread).
constexpr unsigned kShardBits = 5;
constexpr size_t kShards = size_t(1) << kShardBits;
constexpr size_t kMinCapacity = 16;

struct alignas(64) Shard {
	// lock serialises everything that writes this shard: the existence check, ctor and
	// insert of an alloc, a free and its dtor, rebuilds. Readers never take it.
	std::mutex lock;
	// The current array (nullptr when the shard is empty). Stored with release after the
	// array is filled; loaded with acquire by readers (rcu_dereference).
	std::atomic<Table *> table{nullptr};
	size_t live = 0; // live variables (under lock)
	size_t used = 0; // live + tombstones in the current array (under lock)
};

// Mixes obj and id (splitmix64's finalizer): the top bits pick the shard, the low bits
// the home slot.
inline uint64_t hash(const void *obj, unsigned long id)
{
	uint64_t x = uint64_t(uintptr_t(obj)) ^ (uint64_t(id) * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

// Constant-initialised (no constructor runs at load); 2 KiB of .bss.
constinit inline Shard shards[kShards];

inline Shard &shard_of(uint64_t h)
{
	return shards[h >> (64 - kShardBits)];
}

// The data of <obj, id> in t, or nullptr. Call inside a read section or under the lock.
inline void *find(const Table *t, const void *obj, unsigned long id, uint64_t h)
{
	if (!t)
		return nullptr;
	const Slot *slots = t->slots();
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		// Pairs with the release store in insert_locked/rebuild: a live pointer
		// makes the slot's key (written before it) visible.
		void *d = slots[i].data.load(std::memory_order_acquire);
		if (!d)
			return nullptr; // an array always keeps empty slots: the probe ends
		if (d != kTombstone && slots[i].obj == obj && slots[i].id == id)
			return d;
	}
}

// Lock-free lookup from any thread.
inline void *lookup(const void *obj, unsigned long id, uint64_t h)
{
	Shard &sh = shard_of(h);
	rcu::ReadGuard guard; // keeps the array alive while we probe it
	return find(sh.table.load(std::memory_order_acquire), obj, id, h);
}

// Under sh.lock: makes room for one more variable (grows or cleans the array). False
// when there is no memory for a new array. Called before the ctor, so that a variable
// whose ctor ran is always inserted.
bool reserve_locked(Shard &sh);

// Under sh.lock, after reserve_locked and with <obj, id> absent: adds it.
void insert_locked(Shard &sh, const void *obj, unsigned long id, uint64_t h, void *data);

// Under sh.lock: removes <obj, id> and returns its data, or nullptr if absent.
void *erase_locked(Shard &sh, const void *obj, unsigned long id, uint64_t h);

// Under sh.lock: removes every variable with this id, calling fn(obj, data) for each.
template <class Fn> void erase_id_locked(Shard &sh, unsigned long id, Fn &&fn);

// After removals under sh.lock: shrinks or frees the array when it has become sparse.
void maybe_shrink_locked(Shard &sh);

// Memory held by the tables (for the benchmark's bytes-per-variable figure).
struct Stats {
	size_t live = 0;
	size_t slots = 0;
	size_t table_bytes = 0;
};
// Visible outside the object files for the benchmark's library; libgraft.so's version
// script keeps it internal.
__attribute__((visibility("default"))) Stats stats();

// How many live variables have this id: a scan of every shard, each under its lock.
size_t count_id(unsigned long id);

// Fork hooks for pthread_atfork (to be registered by the runtime's constructor): hold
// every shard lock and pause liburcu's call_rcu thread across fork(), so the child gets
// consistent tables and a call_rcu thread of its own.
void before_fork();
void after_fork_parent();
void after_fork_child();

template <class Fn> void erase_id_locked(Shard &sh, unsigned long id, Fn &&fn)
{
	Table *t = sh.table.load(std::memory_order_relaxed); // we are the only writer
	if (!t)
		return;
	Slot *slots = t->slots();
	for (size_t i = 0; i < t->capacity(); i++) {
		void *d = slots[i].data.load(std::memory_order_relaxed);
		if (!d || d == kTombstone || slots[i].id != id)
			continue;
		// Readers that see the tombstone read nothing else from the slot; readers
		// that still got d keep it valid until the grace period ends.
		slots[i].data.store(kTombstone, std::memory_order_relaxed);
		sh.live--;
		fn(slots[i].obj, d);
	}
	maybe_shrink_locked(sh);
}

} // namespace graft::shadow_vars
