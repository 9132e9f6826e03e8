// SPDX-License-Identifier: MIT
// types_test.cpp - the shadow type registry (shadow/types.hpp) and the typed calls: the
// count per id across users, the last unregistration freeing every variable with the
// dtor exactly once, the refusals of an unregistered type and their log line, the view
// of registered types, and typed calls racing registrations (also run under TSan).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "shadow/table.hpp"
#include "shadow/types.hpp"
#include <graft/graft.h>

namespace {

namespace sv = graft::shadow_vars;
using ::testing::HasSubstr;

std::map<void *, int> dtor_runs; // obj -> how many times a dtor ran on its variable

void count_dtor(void *obj, void *data)
{
	EXPECT_EQ(*static_cast<int *>(data), 42) << "the dtor sees the variable's data";
	dtor_runs[obj]++;
}

int set_42(void *, void *data, void *)
{
	*static_cast<int *>(data) = 42;
	return 0;
}

// Two patches' declarations of the same id, with their own dtors (as patch A and B).
const graft_shadow_type type_a{0x5a01, set_42, count_dtor};
const graft_shadow_type type_b{0x5a01, set_42, count_dtor};

uint64_t log_mark()
{
	auto lines = graft::log::read(0, graft::log::kRingLines);
	return lines.empty() ? 0 : lines.back().seq;
}

std::string log_since(uint64_t after)
{
	std::string out;
	for (auto &line : graft::log::read(after, 1000))
		out += line.text + "\n";
	return out;
}

long users_of(unsigned long id, size_t *variables = nullptr)
{
	for (const sv::TypeInfo &t : sv::registered_types())
		if (t.id == id) {
			if (variables)
				*variables = t.variables;
			return t.users;
		}
	return 0;
}

class Types : public ::testing::Test {
protected:
	void SetUp() override { dtor_runs.clear(); }
	void TearDown() override { EXPECT_EQ(sv::stats().live, 0u); }
};

// The seed's scenario in miniature: A and B share the id; A going keeps the variables,
// B going frees them, each dtor once.
TEST_F(Types, CountedPerIdAcrossUsers)
{
	char objs[50];
	ASSERT_TRUE(sv::register_type(&type_a));
	for (char &o : objs)
		ASSERT_NE(graft_shadow_alloc_typed(&o, &type_a, sizeof(int), nullptr), nullptr);
	ASSERT_TRUE(sv::register_type(&type_b));
	size_t vars = 0;
	EXPECT_EQ(users_of(0x5a01, &vars), 2);
	EXPECT_EQ(vars, 50u);
	EXPECT_EQ(graft_shadow_get_typed(&objs[7], &type_b), graft_shadow_get(&objs[7], 0x5a01));

	sv::unregister_type(&type_a);
	EXPECT_TRUE(dtor_runs.empty()) << "B still uses the type";
	EXPECT_EQ(users_of(0x5a01, &vars), 1);
	EXPECT_EQ(vars, 50u);
	EXPECT_NE(graft_shadow_get_typed(&objs[7], &type_b), nullptr);

	sv::unregister_type(&type_b);
	ASSERT_EQ(dtor_runs.size(), 50u);
	for (auto &[obj, runs] : dtor_runs)
		EXPECT_EQ(runs, 1) << obj;
	EXPECT_EQ(users_of(0x5a01), 0);
	EXPECT_EQ(graft_shadow_get(&objs[7], 0x5a01), nullptr);
}

// Variables of other ids (and of the id-based API) are untouched by the freeing.
TEST_F(Types, FreesOnlyItsOwnId)
{
	int obj;
	ASSERT_TRUE(sv::register_type(&type_a));
	ASSERT_NE(graft_shadow_alloc_typed(&obj, &type_a, sizeof(int), nullptr), nullptr);
	ASSERT_NE(graft_shadow_alloc(&obj, 0x5a02, sizeof(int), nullptr, nullptr), nullptr);
	sv::unregister_type(&type_a);
	EXPECT_EQ(dtor_runs.size(), 1u);
	EXPECT_NE(graft_shadow_get(&obj, 0x5a02), nullptr);
	graft_shadow_free(&obj, 0x5a02, nullptr);
}

// The seed's check: every typed call on an unregistered type logs and does nothing.
TEST_F(Types, UnregisteredTypeIsRefusedAndLogged)
{
	const graft_shadow_type stray{0x5a03, set_42, count_dtor};
	int obj;
	uint64_t mark = log_mark();
	EXPECT_EQ(graft_shadow_get_typed(&obj, &stray), nullptr);
	EXPECT_EQ(graft_shadow_alloc_typed(&obj, &stray, sizeof(int), nullptr), nullptr);
	EXPECT_EQ(graft_shadow_get_or_alloc_typed(&obj, &stray, sizeof(int), nullptr), nullptr);
	graft_shadow_free_typed(&obj, &stray);
	graft_shadow_free_all_typed(&stray);
	EXPECT_EQ(graft_shadow_get(&obj, 0x5a03), nullptr) << "nothing was attached";
	std::string log = log_since(mark);
	for (const char *what : {"get", "alloc", "get_or_alloc", "free", "free_all"})
		EXPECT_THAT(log, HasSubstr(std::string("graft: ") + what + " of shadow variable <"))
			<< what;
	EXPECT_THAT(log, HasSubstr(">: type 5a03 is not registered (list it in the object's "
				   "shadow_types or a state's shadow_type)"));
	// A variable made with the id-based call is not reached through an unregistered type.
	ASSERT_NE(graft_shadow_alloc(&obj, 0x5a03, sizeof(int), set_42, nullptr), nullptr);
	EXPECT_EQ(graft_shadow_get_typed(&obj, &stray), nullptr);
	graft_shadow_free(&obj, 0x5a03, nullptr);
	EXPECT_TRUE(dtor_runs.empty());
}

// Registered again after its last user went: a fresh start, no stale variable.
TEST_F(Types, ReRegistrationFindsNoStaleVariable)
{
	int obj;
	ASSERT_TRUE(sv::register_type(&type_a));
	ASSERT_NE(graft_shadow_alloc_typed(&obj, &type_a, sizeof(int), nullptr), nullptr);
	sv::unregister_type(&type_a);
	ASSERT_TRUE(sv::register_type(&type_b));
	EXPECT_EQ(graft_shadow_get_typed(&obj, &type_b), nullptr);
	sv::unregister_type(&type_b);
	EXPECT_EQ(dtor_runs[&obj], 1);
}

TEST_F(Types, BadRegistrationsAreRefused)
{
	const graft_shadow_type zero{0, nullptr, nullptr};
	uint64_t mark = log_mark();
	EXPECT_FALSE(sv::register_type(&zero));
	EXPECT_FALSE(sv::register_type(nullptr));
	sv::unregister_type(&type_a); // never registered: logged, nothing happens
	EXPECT_THAT(log_since(mark), HasSubstr("graft: shadow type 5a01 unregistered more often "
					       "than registered"));
	EXPECT_EQ(users_of(0x5a01), 0);
}

// Typed lookups and allocations of one id while other ids are registered, filled and
// freed by their last unregistration on another thread: the registry is read lock-free.
TEST_F(Types, TypedCallsRaceRegistrationsOfOtherIds)
{
	static const graft_shadow_type steady{0x5b00, nullptr, nullptr};
	ASSERT_TRUE(sv::register_type(&steady));
	std::atomic<bool> stop{false};
	static int objs[64];
	std::thread churn([&] {
		for (int round = 0; round < 200; round++) {
			graft_shadow_type t{0x5c00 + unsigned(round % 40), nullptr, nullptr};
			ASSERT_TRUE(sv::register_type(&t));
			for (int &o : objs)
				graft_shadow_alloc_typed(&o, &t, 16, nullptr);
			sv::unregister_type(&t);
		}
		stop = true;
	});
	long found = 0;
	while (!stop) {
		for (int &o : objs) {
			auto *v = static_cast<long *>(graft_shadow_get_or_alloc_typed(
				&o, &steady, sizeof(long), nullptr));
			ASSERT_NE(v, nullptr);
			found += *v == 0;
		}
	}
	churn.join();
	EXPECT_GT(found, 0);
	for (unsigned id = 0x5c00; id < 0x5c00 + 40; id++)
		EXPECT_EQ(users_of(id), 0);
	sv::unregister_type(&steady);
}

} // namespace
