// SPDX-License-Identifier: MIT
// shadow_bench.cpp - graft_shadow_get against the alternatives, in one run: liburcu's
// cds_lfht (urcu-bp), the kernel's fixed 4096-bucket RCU hlist with a global writer
// lock, and a mutex-guarded std::unordered_map; 1,000 and 1,000,000 live variables, 1
// and 2 threads. Also alloc/free throughput and bytes per variable.
//
// Shadow types (issue 16): "graft" is the id-based graft_shadow_get, the code path as it
// was before types; "graft_typed" is graft_shadow_get_typed on a registered type (the
// registry check, then the same lookup): before and after in one run. free_type/graft
// is what the last unregistration of a type costs: freeing 1,000,000 variables with
// their dtor.
//
// Lookups go over every key in a shuffled order, so at 1,000,000 variables they miss the
// cache the way a large program's lookups would.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "shadow/table.hpp" // rcu.hpp (urcu-bp), hash(), stats()
#include "shadow/types.hpp"
#include <graft/graft.h>
#include <urcu/rculfhash.h>

namespace {

using graft::shadow_vars::hash;

// liburcu-bp's own read side (inline: _LGPL_SOURCE), for cds_lfht: graft's reaches the
// library it loads on first need through a table (shadow/rcu.hpp).
struct UrcuRead {
	UrcuRead() { urcu_bp_read_lock(); }
	~UrcuRead() { urcu_bp_read_unlock(); }
	UrcuRead(const UrcuRead &) = delete;
	UrcuRead &operator=(const UrcuRead &) = delete;
};

constexpr unsigned long kId = 1;
constexpr size_t kDataSize = 8;

// Fake parent objects: never dereferenced, 64 bytes apart like small heap objects.
void *obj_at(size_t i)
{
	return reinterpret_cast<void *>(uintptr_t(0x7f1200000000) + i * 64);
}

size_t heap_bytes()
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

// ---- the contenders: populate(n), get(obj, id), clear() ---------------------------------

struct Graft {
	static constexpr const char *name = "graft";
	void populate(size_t n)
	{
		for (size_t i = 0; i < n; i++)
			graft_shadow_alloc(obj_at(i), kId, kDataSize, nullptr, nullptr);
	}
	void *get(void *obj, unsigned long id) { return graft_shadow_get(obj, id); }
	void clear()
	{
		graft_shadow_free_all(kId, nullptr);
		urcu_bp_barrier(); // reclaim now, so the next contender's heap figure is its own
	}
};

// The same variables through their type: registered for the whole run (and a second,
// never used id registered too, so the registry is not a single entry).
const graft_shadow_type bench_type{kId, nullptr, nullptr};
const graft_shadow_type other_type{kId + 1, nullptr, nullptr};

struct GraftTyped : Graft {
	static constexpr const char *name = "graft_typed";
	GraftTyped()
	{
		graft::shadow_vars::register_type(&bench_type);
		graft::shadow_vars::register_type(&other_type);
	}
	void *get(void *obj, unsigned long) { return graft_shadow_get_typed(obj, &bench_type); }
};

struct Lfht {
	static constexpr const char *name = "cds_lfht";
	struct Node {
		cds_lfht_node node;
		void *obj;
		unsigned long id;
		alignas(16) char data[kDataSize];
	};
	cds_lfht *ht = nullptr;

	static int match(cds_lfht_node *node, const void *key)
	{
		auto *n = caa_container_of(node, Node, node);
		auto *k = static_cast<const Node *>(key);
		return n->obj == k->obj && n->id == k->id;
	}
	void populate(size_t n)
	{
		ht = cds_lfht_new_flavor(std::bit_ceil(std::max<size_t>(n, 1024)), 1024, 0,
					 CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
					 &urcu_bp_flavor, nullptr);
		UrcuRead guard; // cds_lfht_add_unique runs in a read section
		for (size_t i = 0; i < n; i++) {
			auto *node = static_cast<Node *>(calloc(1, sizeof(Node)));
			node->obj = obj_at(i);
			node->id = kId;
			cds_lfht_add_unique(ht, hash(node->obj, kId), match, node, &node->node);
		}
	}
	void *get(void *obj, unsigned long id)
	{
		Node key;
		key.obj = obj;
		key.id = id;
		UrcuRead guard;
		cds_lfht_iter iter;
		cds_lfht_lookup(ht, hash(obj, id), match, &key, &iter);
		cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
		return node ? caa_container_of(node, Node, node)->data : nullptr;
	}
	void clear()
	{
		std::vector<Node *> nodes;
		{
			UrcuRead guard;
			cds_lfht_iter iter;
			cds_lfht_node *node;
			cds_lfht_for_each(ht, &iter, node)
			{
				cds_lfht_del(ht, node);
				nodes.push_back(caa_container_of(node, Node, node));
			}
		}
		urcu_bp_synchronize_rcu(); // no reader left: free directly
		for (Node *n : nodes)
			free(n);
		cds_lfht_destroy(ht, nullptr);
		ht = nullptr;
	}
};

// The kernel's klp_shadow_hash: 4096 RCU hlist buckets keyed by obj only, lock-free
// readers, one global lock for writers.
struct Kernel {
	static constexpr const char *name = "kernel_4096";
	struct Node {
		std::atomic<Node *> next;
		void *obj;
		unsigned long id;
		alignas(16) char data[kDataSize];
	};
	std::unique_ptr<std::atomic<Node *>[]> buckets { new std::atomic<Node *>[ 4096 ]() };
	std::mutex writer_lock; // klp_shadow_lock

	static size_t bucket(void *obj) // hash_ptr(obj, 12)
	{
		return size_t((uint64_t(uintptr_t(obj)) * 0x61C8864680B583EBull) >> 52);
	}
	void populate(size_t n)
	{
		for (size_t i = 0; i < n; i++) {
			auto *node = new Node{{nullptr}, obj_at(i), kId, {}};
			std::lock_guard<std::mutex> g(writer_lock); // serialises all writers
			auto &head = buckets[bucket(node->obj)];
			node->next.store(head.load(std::memory_order_relaxed),
					 std::memory_order_relaxed);
			head.store(node, std::memory_order_release); // hlist_add_head_rcu
		}
	}
	void *get(void *obj, unsigned long id)
	{
		UrcuRead guard;
		for (Node *n = buckets[bucket(obj)].load(std::memory_order_acquire); n;
		     n = n->next.load(std::memory_order_acquire))
			if (n->obj == obj && n->id == id)
				return n->data;
		return nullptr;
	}
	void clear()
	{
		for (size_t b = 0; b < 4096; b++)
			for (Node *n = buckets[b].exchange(nullptr); n;) {
				Node *next = n->next.load(std::memory_order_relaxed);
				delete n;
				n = next;
			}
	}
};

struct MutexMap {
	static constexpr const char *name = "mutex_unordered_map";
	struct Key {
		void *obj;
		unsigned long id;
		bool operator==(const Key &) const = default;
	};
	struct KeyHash {
		size_t operator()(const Key &k) const { return hash(k.obj, k.id); }
	};
	struct Data {
		alignas(16) char bytes[kDataSize];
	};
	std::mutex lock; // guards map for readers and writers
	std::unordered_map<Key, std::unique_ptr<Data>, KeyHash> map;

	void populate(size_t n)
	{
		for (size_t i = 0; i < n; i++) {
			std::lock_guard<std::mutex> g(lock);
			map.emplace(Key{obj_at(i), kId}, std::make_unique<Data>());
		}
	}
	void *get(void *obj, unsigned long id)
	{
		std::lock_guard<std::mutex> g(lock);
		auto it = map.find(Key{obj, id});
		return it == map.end() ? nullptr : it->second->bytes;
	}
	void clear()
	{
		std::lock_guard<std::mutex> g(lock);
		std::unordered_map<Key, std::unique_ptr<Data>, KeyHash>().swap(map);
	}
};

// ---- the one populated contender, kept across the 1- and 2-thread runs ------------------

struct Populated {
	std::string name;
	size_t n = 0;
	void (*clear)() = nullptr;
	std::vector<uint32_t> order; // a shuffled permutation of 0..n-1
	double bytes_per_var = 0;
} current;

template <class C> C &instance()
{
	static C c;
	return c;
}

template <class C> void ensure(size_t n)
{
	if (current.name == C::name && current.n == n)
		return;
	if (current.clear)
		current.clear();
	size_t before = heap_bytes();
	instance<C>().populate(n);
	double bytes_per_var = double(heap_bytes() - before) / double(n);
	current = Populated{C::name, n, [] { instance<C>().clear(); }, {}, bytes_per_var};
	current.order.resize(n);
	std::iota(current.order.begin(), current.order.end(), 0u);
	std::shuffle(current.order.begin(), current.order.end(), std::mt19937(42));
}

// Runs once per benchmark run, before its threads start.
template <class C> void setup(const benchmark::State &state)
{
	ensure<C>(size_t(state.range(0)));
}

template <class C> void bm_get(benchmark::State &state)
{
	size_t n = size_t(state.range(0));
	C &c = instance<C>();
	const uint32_t *order = current.order.data();
	size_t i = (n / 2) * size_t(state.thread_index()); // threads start apart
	size_t misses = 0;
	for (auto _ : state) {
		void *p = c.get(obj_at(order[i]), kId);
		misses += p == nullptr;
		benchmark::DoNotOptimize(p);
		if (++i == n)
			i = 0;
	}
	if (misses)
		state.SkipWithError("a populated key was not found");
	state.SetItemsProcessed(state.iterations());
	if (state.thread_index() == 0)
		state.counters["bytes_per_var"] = current.bytes_per_var;
}

// alloc + free of fresh pairs, batches of 1,000 per thread (each thread its own objects).
void drop_populated(const benchmark::State &)
{
	if (current.clear)
		current.clear();
	current = Populated{};
}

void bm_alloc_free(benchmark::State &state)
{
	constexpr size_t kBatch = 1000;
	size_t base = 10'000'000 * size_t(state.thread_index() + 1);
	for (auto _ : state) {
		for (size_t i = 0; i < kBatch; i++)
			benchmark::DoNotOptimize(graft_shadow_alloc(obj_at(base + i), kId,
								    kDataSize, nullptr, nullptr));
		for (size_t i = 0; i < kBatch; i++)
			graft_shadow_free(obj_at(base + i), kId, nullptr);
	}
	state.SetItemsProcessed(state.iterations() * kBatch); // one item: an alloc and a free
}

// Bytes per variable of graft's table, by parts, at n live variables.
void bm_graft_memory(benchmark::State &state)
{
	size_t n = size_t(state.range(0));
	ensure<Graft>(n);
	for (auto _ : state)
		benchmark::DoNotOptimize(graft_shadow_get(obj_at(0), kId));
	auto s = graft::shadow_vars::stats();
	void *v = graft_shadow_get(obj_at(0), kId);
	size_t node = malloc_usable_size(graft::shadow_vars::Var::of(v)) + sizeof(size_t);
	state.counters["table_bytes_per_var"] = double(s.table_bytes) / double(n);
	state.counters["node_bytes"] = double(node);
	state.counters["load_factor"] = double(s.live) / double(s.slots);
	state.counters["heap_bytes_per_var"] = current.bytes_per_var;
}

// The last user of a type going: every one of n variables freed with its dtor (the
// memory itself is reclaimed later, on the call_rcu thread, not timed here).
std::atomic<size_t> dtor_calls;
void count_dtor(void *, void *)
{
	dtor_calls.fetch_add(1, std::memory_order_relaxed);
}

void bm_free_type(benchmark::State &state)
{
	size_t n = size_t(state.range(0));
	const graft_shadow_type type{kId + 2, nullptr, count_dtor};
	for (auto _ : state) {
		state.PauseTiming();
		graft::shadow_vars::register_type(&type);
		for (size_t i = 0; i < n; i++)
			graft_shadow_alloc_typed(obj_at(i), &type, kDataSize, nullptr);
		dtor_calls = 0;
		state.ResumeTiming();
		graft::shadow_vars::unregister_type(&type);
		state.PauseTiming();
		if (dtor_calls != n)
			state.SkipWithError("not every dtor ran");
		urcu_bp_barrier();
		state.ResumeTiming();
	}
	state.SetItemsProcessed(state.iterations() * int64_t(n));
}

template <class C> void register_get(size_t n)
{
	std::string name = std::string("get/") + C::name + "/" + std::to_string(n);
	benchmark::RegisterBenchmark(name.c_str(), bm_get<C>)
		->Arg(int64_t(n))
		->Setup(setup<C>)
		->Threads(1)
		->Threads(2)
		->UseRealTime()
		->MinTime(0.3);
}

} // namespace

int main(int argc, char **argv)
{
	for (size_t n : {size_t(1000), size_t(1000000)}) {
		register_get<Graft>(n);
		register_get<GraftTyped>(n);
		register_get<MutexMap>(n);
		register_get<Lfht>(n);
		register_get<Kernel>(n);
	}
	for (size_t n : {size_t(1000), size_t(1000000)})
		benchmark::RegisterBenchmark("memory/graft", bm_graft_memory)
			->Arg(int64_t(n))
			->Iterations(1);
	benchmark::RegisterBenchmark("alloc_free/graft", bm_alloc_free)
		->Setup(drop_populated)
		->Threads(1)
		->Threads(2)
		->UseRealTime()
		->MinTime(0.3);
	benchmark::RegisterBenchmark("free_type/graft", bm_free_type)
		->Arg(1000000)
		->Setup(drop_populated)
		->Iterations(3)
		->Unit(benchmark::kMillisecond);
	benchmark::Initialize(&argc, argv);
	benchmark::RunSpecifiedBenchmarks();
	if (current.clear)
		current.clear();
	benchmark::Shutdown();
	return 0;
}
