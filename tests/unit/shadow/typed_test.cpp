// SPDX-License-Identifier: MIT
// typed_test.cpp - graft::shadow<T>: T's constructor (with arguments) and destructor
// run, self-referencing members (a mutex, a list head) work, a throwing constructor
// attaches nothing.
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shadow/table.hpp"
#include <graft/graft.hpp>

namespace {

// The kernel's reason for ctors: a list head points at itself once initialised, so it
// cannot be copied from a template.
struct list_head {
	list_head *next, *prev;
	list_head() : next(this), prev(this) {}
	bool empty() const { return next == this; }
};

int constructed, destroyed;

struct Extra {
	std::mutex lock;
	list_head waiters;
	std::string name;
	int weight;
	Extra(std::string n, int w) : name(std::move(n)), weight(w) { constructed++; }
	~Extra() { destroyed++; }
};

struct Throws {
	explicit Throws(bool fail)
	{
		if (fail)
			throw std::runtime_error("no");
	}
};

class Typed : public ::testing::Test {
protected:
	void SetUp() override { constructed = destroyed = 0; }
	void TearDown() override { EXPECT_EQ(graft::shadow_vars::stats().live, 0u); }
};

constexpr graft::shadow<Extra> extra_sv{0x6578};

TEST_F(Typed, ConstructsOnceWithArgumentsAndDestroys)
{
	int obj;
	EXPECT_EQ(extra_sv.get(&obj), nullptr);
	Extra *x = extra_sv.get_or_create(&obj, std::string("first"), 3);
	ASSERT_NE(x, nullptr);
	EXPECT_EQ(x->name, "first");
	EXPECT_EQ(x->weight, 3);
	EXPECT_TRUE(x->waiters.empty()); // the list head points at its own, final address
	{
		std::lock_guard<std::mutex> g(x->lock); // a usable mutex
	}
	EXPECT_EQ(extra_sv.get_or_create(&obj, std::string("second"), 4), x);
	EXPECT_EQ(extra_sv.create(&obj, std::string("third"), 5), nullptr); // duplicate
	EXPECT_EQ(extra_sv.get(&obj), x);
	EXPECT_EQ(constructed, 1);
	extra_sv.destroy(&obj);
	EXPECT_EQ(destroyed, 1);
	EXPECT_EQ(extra_sv.get(&obj), nullptr);
}

TEST_F(Typed, DestroyAllRunsEveryDestructor)
{
	char objs[10];
	for (char &o : objs)
		ASSERT_NE(extra_sv.create(&o, "x", 1), nullptr);
	extra_sv.destroy_all();
	EXPECT_EQ(constructed, 10);
	EXPECT_EQ(destroyed, 10);
}

TEST_F(Typed, ThrowingConstructorAttachesNothing)
{
	constexpr graft::shadow<Throws> sv{0x7468};
	int obj;
	EXPECT_EQ(sv.get_or_create(&obj, true), nullptr);
	EXPECT_EQ(sv.get(&obj), nullptr);
	EXPECT_NE(sv.get_or_create(&obj, false), nullptr);
	sv.destroy(&obj);
}

TEST_F(Typed, ConcurrentGetOrCreateYieldsOneObject)
{
	int obj;
	std::vector<std::thread> threads;
	Extra *got[4];
	for (int t = 0; t < 4; t++)
		threads.emplace_back([&, t] { got[t] = extra_sv.get_or_create(&obj, "c", t); });
	for (auto &t : threads)
		t.join();
	for (Extra *p : got)
		EXPECT_EQ(p, got[0]);
	EXPECT_EQ(constructed, 1);
	extra_sv.destroy(&obj);
	EXPECT_EQ(destroyed, 1);
}

} // namespace
