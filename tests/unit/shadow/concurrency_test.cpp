// SPDX-License-Identifier: MIT
// concurrency_test.cpp - 4 threads get_or_alloc/get/free overlapping <obj, id> pairs:
// every ctor runs once per inserted variable, a pair never has two live variables, none
// is lost, and racing get_or_alloc of one fresh pair all return the same pointer.
// Bounded in time (about 1.5 s + the race rounds); run under ASan and TSan as well.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "shadow/table.hpp"
#include <graft/graft.h>

namespace {

constexpr int kThreads = 4;
constexpr int kObjs = 64;
constexpr int kIds = 2;
constexpr unsigned long kIdBase = 0x5000;
constexpr uint32_t kAlive = 0xa11fe, kDead = 0xdead;

char objs[kObjs];

int key_of(void *obj, unsigned long id)
{
	return int(static_cast<char *>(obj) - objs) * kIds + int(id - kIdBase);
}

struct Data {
	std::atomic<uint32_t> state; // kAlive from the ctor, kDead from the dtor
	std::atomic<int> ctor_runs;  // must stay 1
	void *obj;
	unsigned long id;
};

// Per pair: variables constructed minus destroyed. Ctor and dtor of one pair are
// serialised by the table, so this must only ever be 0 or 1.
std::atomic<int> live_per_key[kObjs * kIds];
std::atomic<long> ctors, dtors, violations;

int ctor(void *obj, void *shadow_data, void *ctor_data)
{
	auto *d = static_cast<Data *>(shadow_data);
	if (d->ctor_runs.fetch_add(1) != 0 || d->state.load() != 0)
		violations++; // the data was not fresh and zeroed
	d->obj = obj;
	d->id = *static_cast<unsigned long *>(ctor_data);
	d->state.store(kAlive);
	if (live_per_key[key_of(obj, d->id)].fetch_add(1) != 0)
		violations++; // a second live variable for the pair
	ctors++;
	return 0;
}

void dtor(void *obj, void *shadow_data)
{
	auto *d = static_cast<Data *>(shadow_data);
	if (d->state.exchange(kDead) != kAlive || d->obj != obj)
		violations++; // destroyed twice, or the wrong variable
	live_per_key[key_of(obj, d->id)].fetch_sub(1);
	dtors++;
}

// A returned variable must be one constructed for this pair. The read section keeps
// it from being reclaimed while we look (its dtor may have run: state kDead).
bool check(void *p, void *obj, unsigned long id)
{
	auto *d = static_cast<Data *>(p);
	uint32_t s = d->state.load();
	return (s == kAlive || s == kDead) && d->obj == obj && d->id == id &&
	       d->ctor_runs.load() == 1;
}

void churn(unsigned seed, std::chrono::steady_clock::time_point end, long *ops)
{
	std::mt19937 rng(seed);
	long n = 0;
	while ((n & 255) || std::chrono::steady_clock::now() < end) {
		unsigned r = rng();
		void *obj = &objs[r % kObjs];
		unsigned long id = kIdBase + (r >> 8) % kIds;
		unsigned op = (r >> 16) % 8;
		graft::shadow_vars::rcu::ReadGuard guard;
		if (op < 3) {
			void *p = graft_shadow_get_or_alloc(obj, id, sizeof(Data), ctor, &id);
			if (!p || !check(p, obj, id))
				violations++;
		} else if (op < 6) {
			if (void *p = graft_shadow_get(obj, id); p && !check(p, obj, id))
				violations++;
		} else {
			graft_shadow_free(obj, id, dtor);
		}
		n++;
	}
	*ops = n;
}

TEST(ShadowConcurrency, ChurnOnOverlappingKeys)
{
	ctors = dtors = violations = 0;
	auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
	std::vector<std::thread> threads;
	long ops[kThreads] = {};
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back(churn, 1234u + t, end, &ops[t]);
	for (auto &t : threads)
		t.join();

	EXPECT_EQ(violations.load(), 0);
	// Not lost: exactly the pairs the counters call live are in the table.
	long live = 0;
	for (int o = 0; o < kObjs; o++)
		for (int i = 0; i < kIds; i++) {
			int l = live_per_key[o * kIds + i].load();
			EXPECT_TRUE(l == 0 || l == 1);
			void *p = graft_shadow_get(&objs[o], kIdBase + i);
			EXPECT_EQ(p != nullptr, l == 1) << "pair " << o << "," << i;
			live += l;
		}
	EXPECT_EQ(long(graft::shadow_vars::stats().live), live);
	EXPECT_EQ(ctors - dtors, live);
	// Each ctor ran for a variable that was inserted: free_all destroys all the rest.
	for (int i = 0; i < kIds; i++)
		graft_shadow_free_all(kIdBase + i, dtor);
	EXPECT_EQ(ctors.load(), dtors.load());
	EXPECT_EQ(graft::shadow_vars::stats().live, 0u);
	long total = 0;
	for (long n : ops)
		total += n;
	EXPECT_GT(ctors.load(), 100); // the run really churned
	RecordProperty("ops", std::to_string(total));
}

TEST(ShadowConcurrency, RacingGetOrAllocConstructsOnce)
{
	constexpr int kRounds = 500;
	ctors = dtors = violations = 0;
	void *got[kThreads];
	std::atomic<int> mismatches{0};
	std::barrier sync(kThreads, [&]() noexcept {
		// Between rounds, with every thread waiting: compare and reset.
		for (int t = 1; t < kThreads; t++)
			if (got[t] != got[0])
				mismatches++;
	});
	auto body = [&](int t) {
		for (int round = 0; round < kRounds; round++) {
			void *obj = &objs[round % kObjs];
			unsigned long id = kIdBase + (round / kObjs) % kIds;
			got[t] = graft_shadow_get_or_alloc(obj, id, sizeof(Data), ctor, &id);
			sync.arrive_and_wait(); // all threads have their pointer
			if (t == 0)
				graft_shadow_free(obj, id, dtor);
			sync.arrive_and_wait(); // the pair is gone before the next round
		}
	};
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back(body, t);
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(mismatches.load(), 0);
	EXPECT_EQ(violations.load(), 0);
	EXPECT_EQ(ctors.load(), kRounds); // once per round, whoever won
	EXPECT_EQ(dtors.load(), kRounds);
}

} // namespace
