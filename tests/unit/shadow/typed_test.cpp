// SPDX-License-Identifier: MIT
// typed_test.cpp - graft::shadow<T>: T's constructor (with arguments) and destructor
// run, self-referencing members (a mutex, a list head) work, a throwing constructor
// attaches nothing; its calls need the type registered, and the last unregistration
// destroys every T.
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shadow/table.hpp"
#include "shadow/types.hpp"
#include <graft/graft.hpp>

namespace {

// The kernel's reason for ctors: a list head points at itself once initialised, so it
// cannot be copied from a template.
struct list_head {
	list_head *next, *prev;
	list_head()
	    : next(this)
	    , prev(this)
	{
	}
	bool empty() const { return next == this; }
};

int constructed, destroyed;

struct Extra {
	std::mutex lock;
	list_head waiters;
	std::string name;
	int weight;
	Extra(std::string n, int w)
	    : name(std::move(n))
	    , weight(w)
	{
		constructed++;
	}
	~Extra() { destroyed++; }
};

struct Throws {
	explicit Throws(bool fail)
	{
		if (fail)
			throw std::runtime_error("no");
	}
};

constexpr graft::shadow<Extra> extra_sv{0x6578};
constexpr graft::shadow<Throws> throws_sv{0x7468};

// As the core does while an object that lists the type is patched.
struct Registration {
	const graft_shadow_type *type;
	explicit Registration(const graft_shadow_type *t)
	    : type(t)
	{
		EXPECT_TRUE(graft::shadow_vars::register_type(t));
	}
	~Registration() { graft::shadow_vars::unregister_type(type); }
};

class Typed : public ::testing::Test {
protected:
	void SetUp() override { constructed = destroyed = 0; }
	void TearDown() override { EXPECT_EQ(graft::shadow_vars::stats().live, 0u); }
	Registration extra_reg{extra_sv.type()}, throws_reg{throws_sv.type()};
};

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
	const auto &sv = throws_sv;
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

// The type object is what graft_object.shadow_types lists: its id, T's constructor
// (T() when a C caller passes no arguments) and ~T.
TEST_F(Typed, TypeCarriesTheConstructorAndDestructor)
{
	const graft_shadow_type *t = extra_sv.type();
	EXPECT_EQ(t->id, 0x6578u);
	ASSERT_NE(t->ctor, nullptr);
	ASSERT_NE(t->dtor, nullptr);
	struct Plain {
		int v = 7;
		~Plain() { destroyed++; }
	};
	static constexpr graft::shadow<Plain> plain_sv{0x706c};
	Registration reg(plain_sv.type());
	int obj;
	auto *p = static_cast<Plain *>(
		graft_shadow_alloc_typed(&obj, plain_sv.type(), sizeof(Plain), nullptr));
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(p->v, 7); // T() ran
	graft_shadow_free_typed(&obj, plain_sv.type());
	EXPECT_EQ(destroyed, 1);
	// Extra has no default constructor: a C caller without arguments gets nothing.
	EXPECT_EQ(graft_shadow_alloc_typed(&obj, t, sizeof(Extra), nullptr), nullptr);
	EXPECT_EQ(constructed, 0);
}

// Unregistered: nothing is attached, the call says so in the log.
TEST(TypedUnregistered, CallsReturnNullptr)
{
	constexpr graft::shadow<int> stray_sv{0x7374};
	int obj;
	EXPECT_EQ(stray_sv.get_or_create(&obj, 1), nullptr);
	EXPECT_EQ(stray_sv.get(&obj), nullptr);
	EXPECT_EQ(graft_shadow_get(&obj, 0x7374), nullptr);
}

// The last user of the id going destroys every T still attached, once.
TEST(TypedLifetime, LastUnregistrationDestroysEveryT)
{
	constructed = destroyed = 0;
	char objs[100];
	{
		Registration first(extra_sv.type());
		{
			Registration second(extra_sv.type());
			for (char &o : objs)
				ASSERT_NE(extra_sv.create(&o, "x", 1), nullptr);
		}
		EXPECT_EQ(destroyed, 0); // one user left
		EXPECT_NE(extra_sv.get(&objs[5]), nullptr);
	}
	EXPECT_EQ(constructed, 100);
	EXPECT_EQ(destroyed, 100);
	EXPECT_EQ(graft_shadow_get(&objs[5], extra_sv.id()), nullptr);
	EXPECT_EQ(graft::shadow_vars::stats().live, 0u);
}

} // namespace
