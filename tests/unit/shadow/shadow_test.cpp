// SPDX-License-Identifier: MIT
// shadow_test.cpp - the kernel's "basic shadow variable API" selftest
// (test_klp_shadow_vars.c) ported, plus duplicate alloc, ctor failure, dtor on
// free_all, alignment and zeroing.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "base/log.hpp"
#include "shadow/table.hpp"
#include "shadow/types.hpp"
#include <graft/graft.h>

namespace {

constexpr unsigned long SV_ID1 = 0x1234;
constexpr unsigned long SV_ID2 = 0x1235;

// What the kernel module prints from its ctor/dtor, recorded instead.
struct Event {
	std::string what;
	void *obj;
	void *data;
	void *arg;
	bool operator==(const Event &) const = default;
};
std::vector<Event> events;

// shadow_ctor: stores the ctor_data pointer in the new variable.
int shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*static_cast<void **>(shadow_data) = ctor_data;
	events.push_back({"ctor", obj, shadow_data, ctor_data});
	return 0;
}

void shadow_dtor(void *obj, void *shadow_data)
{
	events.push_back({"dtor", obj, shadow_data, nullptr});
}

// Log lines written since `after`.
std::vector<std::string> log_since(uint64_t after)
{
	std::vector<std::string> out;
	for (auto &line : graft::log::read(after, 1000))
		out.push_back(line.text);
	return out;
}

uint64_t log_mark()
{
	auto lines = graft::log::read(0, graft::log::kRingLines);
	return lines.empty() ? 0 : lines.back().seq;
}

char hex_ptr[64];
const char *ptr_text(const void *p)
{
	snprintf(hex_ptr, sizeof(hex_ptr), "%p", p);
	return hex_ptr;
}

class Shadow : public ::testing::Test {
protected:
	void SetUp() override { events.clear(); }
	void TearDown() override
	{
		graft_shadow_free_all(SV_ID1, nullptr);
		graft_shadow_free_all(SV_ID2, nullptr);
		EXPECT_EQ(graft::shadow_vars::stats().live, 0u);
	}
};

// The selftest's passes 0-6, in its order of calls.
TEST_F(Shadow, BasicShadowVariableApi)
{
	void *objs[3];
	int nfields1[3], nfields2[3];
	void *sv1[3], *sv2[3];

	// Pass 0: get on an empty table.
	EXPECT_EQ(graft_shadow_get(&objs[0], SV_ID1), nullptr);

	// Pass 1: SV_ID1 by get_or_alloc (even i) / alloc (odd i), SV_ID2 by alloc.
	for (int i = 0; i < 3; i++) {
		void *o = &objs[i];
		sv1[i] = i % 2 ? graft_shadow_alloc(o, SV_ID1, sizeof(void *), shadow_ctor,
						    &nfields1[i])
			       : graft_shadow_get_or_alloc(o, SV_ID1, sizeof(void *), shadow_ctor,
							   &nfields1[i]);
		ASSERT_NE(sv1[i], nullptr);
		sv2[i] = graft_shadow_alloc(o, SV_ID2, sizeof(void *), shadow_ctor, &nfields2[i]);
		ASSERT_NE(sv2[i], nullptr);
	}
	std::vector<Event> expected;
	for (int i = 0; i < 3; i++) {
		expected.push_back({"ctor", &objs[i], sv1[i], &nfields1[i]});
		expected.push_back({"ctor", &objs[i], sv2[i], &nfields2[i]});
	}
	EXPECT_EQ(events, expected);

	// Pass 2: get both ids on every object; the data holds the stored pointer.
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID1), sv1[i]);
		EXPECT_EQ(*static_cast<void **>(sv1[i]), &nfields1[i]);
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID2), sv2[i]);
		EXPECT_EQ(*static_cast<void **>(sv2[i]), &nfields2[i]);
	}

	// Pass 3: get_or_alloc returns the existing variable; the ctor is not called.
	events.clear();
	int other;
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(graft_shadow_get_or_alloc(&objs[i], SV_ID1, sizeof(void *), shadow_ctor,
						    &other),
			  sv1[i]);
		EXPECT_EQ(*static_cast<void **>(sv1[i]), &nfields1[i]);
	}
	EXPECT_TRUE(events.empty());

	// Pass 4: free SV_ID1 with the dtor, then get -> NULL.
	for (int i = 0; i < 3; i++) {
		graft_shadow_free(&objs[i], SV_ID1, shadow_dtor);
		EXPECT_EQ(events.back(), (Event{"dtor", &objs[i], sv1[i], nullptr}));
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID1), nullptr);
	}

	// Pass 5: SV_ID2 is still there.
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID2), sv2[i]);

	// Pass 6: free_all(SV_ID2, NULL), then get -> NULL.
	events.clear();
	graft_shadow_free_all(SV_ID2, nullptr);
	EXPECT_TRUE(events.empty());
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID2), nullptr);
}

TEST_F(Shadow, DuplicateAllocWarnsAndReturnsNull)
{
	int obj;
	void *first = graft_shadow_alloc(&obj, SV_ID1, 16, nullptr, nullptr);
	ASSERT_NE(first, nullptr);
	uint64_t mark = log_mark();
	EXPECT_EQ(graft_shadow_alloc(&obj, SV_ID1, 16, shadow_ctor, nullptr), nullptr);
	EXPECT_TRUE(events.empty()); // no ctor for a duplicate
	std::string want =
		std::string("graft: Duplicate shadow variable <") + ptr_text(&obj) + ", 1234>";
	EXPECT_EQ(log_since(mark), std::vector<std::string>{want});
	EXPECT_EQ(graft_shadow_get(&obj, SV_ID1), first);
	// get_or_alloc of an existing variable is silent.
	mark = log_mark();
	EXPECT_EQ(graft_shadow_get_or_alloc(&obj, SV_ID1, 16, nullptr, nullptr), first);
	EXPECT_TRUE(log_since(mark).empty());
}

int failing_ctor(void *, void *shadow_data, void *ctor_data)
{
	*static_cast<int *>(ctor_data) += 1;
	memset(shadow_data, 0xab, 8);
	return -22;
}

TEST_F(Shadow, CtorFailureFreesAndReturnsNull)
{
	int obj, calls = 0;
	uint64_t mark = log_mark();
	EXPECT_EQ(graft_shadow_alloc(&obj, SV_ID1, 8, failing_ctor, &calls), nullptr);
	EXPECT_EQ(graft_shadow_get_or_alloc(&obj, SV_ID1, 8, failing_ctor, &calls), nullptr);
	EXPECT_EQ(calls, 2);
	std::string want = std::string("graft: Failed to construct shadow variable <") +
			   ptr_text(&obj) + ", 1234> (-22)";
	EXPECT_EQ(log_since(mark), (std::vector<std::string>{want, want}));
	EXPECT_EQ(graft_shadow_get(&obj, SV_ID1), nullptr);
	EXPECT_EQ(graft::shadow_vars::stats().live, 0u);
	// The pair is free for a later, successful alloc.
	EXPECT_NE(graft_shadow_alloc(&obj, SV_ID1, 8, nullptr, nullptr), nullptr);
}

TEST_F(Shadow, FreeAllCallsDtorForEveryVariableOfTheId)
{
	constexpr int n = 1000; // several shards, a few rebuilds
	static char objs[n];
	for (int i = 0; i < n; i++) {
		ASSERT_NE(graft_shadow_alloc(&objs[i], SV_ID1, 4, nullptr, nullptr), nullptr);
		ASSERT_NE(graft_shadow_alloc(&objs[i], SV_ID2, 4, nullptr, nullptr), nullptr);
	}
	graft_shadow_free_all(SV_ID1, shadow_dtor);
	ASSERT_EQ(events.size(), size_t(n));
	std::vector<bool> seen(n);
	for (auto &e : events) {
		EXPECT_EQ(e.what, "dtor");
		auto i = static_cast<char *>(e.obj) - objs;
		ASSERT_TRUE(i >= 0 && i < n);
		EXPECT_FALSE(seen[i]);
		seen[i] = true;
	}
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(graft_shadow_get(&objs[i], SV_ID1), nullptr);
		EXPECT_NE(graft_shadow_get(&objs[i], SV_ID2), nullptr);
	}
	EXPECT_EQ(graft::shadow_vars::stats().live, size_t(n));
}

TEST_F(Shadow, DataIsZeroedAndAlignedForAnyType)
{
	static char objs[64];
	for (size_t i = 0; i < 64; i++) {
		size_t size = 1 + i * 7;
		auto *p = static_cast<unsigned char *>(
			graft_shadow_alloc(&objs[i], SV_ID1, size, nullptr, nullptr));
		ASSERT_NE(p, nullptr);
		EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
		for (size_t b = 0; b < size; b++)
			ASSERT_EQ(p[b], 0) << "byte " << b << " of a " << size << "-byte variable";
		memset(p, 0xff, size); // the whole size is usable
	}
	// Size 0 still yields a distinct, non-NULL variable.
	int obj;
	EXPECT_NE(graft_shadow_alloc(&obj, SV_ID2, 0, nullptr, nullptr), nullptr);
}

TEST_F(Shadow, FreeOfMissingVariableIsIgnored)
{
	int obj;
	graft_shadow_free(&obj, SV_ID1, shadow_dtor);
	graft_shadow_free_all(SV_ID1, shadow_dtor);
	EXPECT_TRUE(events.empty());
}

TEST_F(Shadow, NullObjectIsAValidKey)
{
	// Kernel usage: global state handed between cumulative patches hangs off NULL.
	void *p = graft_shadow_alloc(nullptr, SV_ID1, 8, nullptr, nullptr);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(graft_shadow_get(nullptr, SV_ID1), p);
	EXPECT_EQ(graft_shadow_get(nullptr, SV_ID2), nullptr);
}

int nested_ctor(void *obj, void *, void *ctor_data)
{
	// A ctor runs under the shard lock: a nested alloc would deadlock and is refused.
	*static_cast<void **>(ctor_data) = graft_shadow_alloc(obj, SV_ID2, 8, nullptr, nullptr);
	return 0;
}

TEST_F(Shadow, AllocFromCtorIsRefused)
{
	int obj;
	void *nested = &obj;
	EXPECT_NE(graft_shadow_alloc(&obj, SV_ID1, 8, nested_ctor, &nested), nullptr);
	EXPECT_EQ(nested, nullptr);
	EXPECT_EQ(graft_shadow_get(&obj, SV_ID2), nullptr);
}

TEST_F(Shadow, TableGrowsAndShrinks)
{
	constexpr int n = 100000;
	std::vector<char> objs(n);
	for (int i = 0; i < n; i++)
		ASSERT_NE(graft_shadow_alloc(&objs[i], SV_ID1, 8, nullptr, nullptr), nullptr);
	auto full = graft::shadow_vars::stats();
	EXPECT_EQ(full.live, size_t(n));
	EXPECT_GE(full.slots, size_t(n) * 4 / 3); // at most 3/4 full
	EXPECT_LE(full.slots, size_t(n) * 8);	  // and not wildly oversized
	for (int i = 0; i < n; i++)
		ASSERT_NE(graft_shadow_get(&objs[i], SV_ID1), nullptr);
	for (int i = 0; i < n - 10; i++)
		graft_shadow_free(&objs[i], SV_ID1, nullptr);
	auto sparse = graft::shadow_vars::stats();
	EXPECT_EQ(sparse.live, 10u);
	EXPECT_LE(sparse.slots, graft::shadow_vars::kShards * graft::shadow_vars::kMinCapacity);
	for (int i = n - 10; i < n; i++)
		EXPECT_NE(graft_shadow_get(&objs[i], SV_ID1), nullptr);
}

TEST_F(Shadow, ForkHooksGiveTheChildAWorkingTable)
{
#ifdef GRAFT_SHADOW_TSAN
	GTEST_SKIP() << "TSan cannot start threads (the child's call_rcu) after a "
			"multi-threaded fork";
#endif
	static char objs[100];
	for (char &o : objs)
		ASSERT_NE(graft_shadow_alloc(&o, SV_ID1, 8, nullptr, nullptr), nullptr);
	graft_shadow_free(&objs[0], SV_ID1, nullptr); // a reclamation pending across fork
	graft::shadow_vars::before_fork();
	pid_t pid = fork();
	if (pid == 0) {
		graft::shadow_vars::after_fork_child();
		bool ok = graft_shadow_get(&objs[1], SV_ID1) != nullptr;
		for (char &o : objs)
			graft_shadow_free(&o, SV_ID1, nullptr); // frees go through call_rcu
		ok = ok && graft_shadow_alloc(&objs[0], SV_ID2, 8, nullptr, nullptr);
		graft_shadow_free_all(SV_ID2, nullptr);
		// The hooks hold the type registry's lock across fork too; the child has it back.
		static const graft_shadow_type type{SV_ID2, nullptr, nullptr};
		ok = ok && graft::shadow_vars::register_type(&type) &&
		     graft_shadow_alloc_typed(&objs[0], &type, 8, nullptr);
		graft::shadow_vars::unregister_type(&type); // frees the variable
		urcu_bp_barrier(); // the child's call_rcu thread runs the callbacks
		_exit(ok && graft::shadow_vars::stats().live == 0 ? 0 : 1);
	}
	graft::shadow_vars::after_fork_parent();
	ASSERT_GT(pid, 0);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
	EXPECT_NE(graft_shadow_get(&objs[1], SV_ID1), nullptr); // the parent is untouched
}

// liburcu-bp is loaded on first need (shadow/rcu.hpp) and its globals are found as its
// own code finds them. This program links liburcu-bp and takes the variables' addresses
// itself, so (copy relocations, in a PIE) the live variables may be copies in this
// program's data rather than the library's own definitions: the runtime must use those.
// The library's untouched originals were what a lookup in its own handle gave: a
// membarrier flag of 0 made every read section pay two full fences (bench_shadow's get:
// 8 -> 54 ns) and a grace-period counter no writer advanced.
TEST(ShadowRcu, ItsLiburcuGlobalsAreTheOnesTheLibraryItselfUses)
{
	const graft::shadow_vars::rcu::Lib *l = graft::shadow_vars::rcu::lib_get();
	ASSERT_NE(l, nullptr);
	EXPECT_EQ(l->gp, &urcu_bp_gp);
	EXPECT_EQ(l->has_sys_membarrier, &urcu_bp_has_sys_membarrier);
	EXPECT_EQ(graft::os::tls_address(l->reader), &URCU_TLS(urcu_bp_reader));
}

} // namespace
