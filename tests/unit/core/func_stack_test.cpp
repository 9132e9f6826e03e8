// SPDX-License-Identifier: MIT
// func_stack_test.cpp - the function stack: several patches replace one function; the
// newest wins; removing any of them falls back correctly; the last one gone restores
// the original bytes. Real functions of this test binary are redirected.
#include <gtest/gtest.h>

#include <cstring>

#include "arch/x86_64/site.hpp"
#include "core/func_stack.hpp"
#include "symbols/symbols.hpp"

using namespace graft;

// Reads a volatile so its first instruction (a RIP-relative load) is long enough to
// be relocated: a detour needs 5 bytes before the ret.
static volatile int bias = 1;

extern "C" __attribute__((noinline)) int fs_target(int x)
{
	return x + bias;
}

namespace {

__attribute__((noinline)) int repl_a(int x)
{
	return x + 100;
}
__attribute__((noinline)) int repl_b(int x)
{
	return x + 200;
}

int (*volatile call)(int) = fs_target;

// The function's size from this executable's symbol table, as the core resolves it.
size_t elf_size_of(const char *name)
{
	auto objects = symbols::list_loaded();
	const symbols::Object *exe = symbols::find_object(objects, nullptr);
	std::string why;
	auto table = exe ? symbols::SymbolTable::open(exe->path, &why) : nullptr;
	symbols::Symbol sym;
	if (!table || !table->find(name, 0, exe->base, exe->name, &sym, &why))
		return 0;
	return sym.size;
}

// A one-function Object as the core builds it from a patch module.
struct OnePatch {
	core::Object obj;
	explicit OnePatch(int (*repl)(int))
	{
		core::Func f;
		f.name = "fs_target";
		f.old_addr = reinterpret_cast<uintptr_t>(&fs_target);
		f.old_size = elf_size_of("fs_target");
		f.new_addr = reinterpret_cast<uintptr_t>(repl);
		std::string why;
		f.site = arch::site_prepare(f.old_addr, f.old_size, "fs_target", &why);
		EXPECT_NE(f.site, nullptr) << why;
		obj.name = "unit_core";
		obj.funcs.push_back(f);
	}
};

class FuncStackTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::string why;
		ASSERT_TRUE(arch::arch_init(&why)) << why;
		memcpy(original, reinterpret_cast<void *>(&fs_target), sizeof(original));
	}
	void TearDown() override
	{
		EXPECT_EQ(core::func_stack_count(), 0u);
		EXPECT_EQ(memcmp(original, reinterpret_cast<void *>(&fs_target), sizeof(original)),
			  0)
			<< "the original bytes come back when the last patch goes";
	}
	unsigned char original[16];
};

TEST_F(FuncStackTest, NewestWinsAndRemovalFallsBack)
{
	OnePatch a(repl_a), b(repl_b);
	ASSERT_NE(a.obj.funcs[0].site, nullptr);
	EXPECT_EQ(call(1), 2);
	std::string why;
	ASSERT_TRUE(core::patch_object(a.obj, &why)) << why;
	EXPECT_EQ(call(1), 101);
	ASSERT_TRUE(core::patch_object(b.obj, &why)) << why;
	EXPECT_EQ(call(1), 201);
	EXPECT_EQ(core::func_stack_count(), 1u);
	core::unpatch_object(b.obj);
	EXPECT_EQ(call(1), 101) << "falls back to the one below";
	core::unpatch_object(a.obj);
	EXPECT_EQ(call(1), 2) << "then to the original";
}

TEST_F(FuncStackTest, RemovingALowerPatchKeepsTheTop)
{
	OnePatch a(repl_a), b(repl_b);
	ASSERT_NE(a.obj.funcs[0].site, nullptr);
	std::string why;
	ASSERT_TRUE(core::patch_object(a.obj, &why)) << why;
	ASSERT_TRUE(core::patch_object(b.obj, &why)) << why;
	core::unpatch_object(a.obj);
	EXPECT_EQ(call(1), 201);
	EXPECT_FALSE(a.obj.funcs[0].patched);
	EXPECT_TRUE(b.obj.funcs[0].patched);
	core::unpatch_object(b.obj);
	EXPECT_EQ(call(1), 2);
}

TEST_F(FuncStackTest, PatchingAgainReusesTheSite)
{
	OnePatch a(repl_a);
	ASSERT_NE(a.obj.funcs[0].site, nullptr);
	std::string why;
	for (int i = 0; i < 50; i++) {
		ASSERT_TRUE(core::patch_object(a.obj, &why)) << why;
		EXPECT_EQ(call(i), i + 100);
		core::unpatch_object(a.obj);
		EXPECT_EQ(call(i), i + 1);
	}
	OnePatch again(repl_b);
	EXPECT_EQ(again.obj.funcs[0].site, a.obj.funcs[0].site);
}

// Where the entry's jmp rel32 leads, or 0 when the entry holds no such jump.
uintptr_t entry_jump_dest()
{
	auto *entry = reinterpret_cast<const unsigned char *>(&fs_target);
	if (entry[0] != 0xe9)
		return 0;
	int32_t rel;
	memcpy(&rel, entry + 1, 4);
	return reinterpret_cast<uintptr_t>(entry) + 5 + int64_t(rel);
}

// Issue 17: in the steady state the entry jumps straight to the top replacement (one
// jump; the replacements are in this executable, within rel32 reach of the entry), and
// follows the stack as patches come and go.
TEST_F(FuncStackTest, SteadyStateJumpsDirectlyToTheTopReplacement)
{
	OnePatch a(repl_a), b(repl_b);
	ASSERT_NE(a.obj.funcs[0].site, nullptr);
	arch::Site *site = a.obj.funcs[0].site;
	std::string why;
	ASSERT_TRUE(core::patch_object(a.obj, &why)) << why;
	EXPECT_EQ(arch::site_direct(site), reinterpret_cast<uintptr_t>(&repl_a));
	EXPECT_EQ(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_a));
	EXPECT_EQ(call(1), 101);
	ASSERT_TRUE(core::patch_object(b.obj, &why)) << why;
	EXPECT_EQ(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_b));
	EXPECT_EQ(call(1), 201);
	core::unpatch_object(b.obj);
	EXPECT_EQ(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_a))
		<< "back to the one below";
	EXPECT_EQ(call(1), 101);
	core::unpatch_object(a.obj);
	EXPECT_EQ(arch::site_direct(site), 0u);
	EXPECT_EQ(call(1), 2);
}

// While the top func is in transition the entry goes through the stub again, so every
// call reaches the selection path (slot); once the transition completes (retarget) the
// entry jumps directly again.
TEST_F(FuncStackTest, TransitionLeavesDirectModeUntilItCompletes)
{
	OnePatch a(repl_a), b(repl_b);
	ASSERT_NE(a.obj.funcs[0].site, nullptr);
	arch::Site *site = a.obj.funcs[0].site;
	std::string why;
	ASSERT_TRUE(core::patch_object(a.obj, &why)) << why;
	ASSERT_EQ(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_a));
	b.obj.funcs[0].transition = true;
	ASSERT_TRUE(core::patch_object(b.obj, &why)) << why;
	EXPECT_EQ(arch::site_direct(site), 0u);
	EXPECT_NE(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_a));
	EXPECT_NE(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_b));
	EXPECT_EQ(arch::site_target(site), arch::site_transition(site)) << "the selection path";
	b.obj.funcs[0].transition = false;
	core::retarget_object(b.obj);
	EXPECT_EQ(entry_jump_dest(), reinterpret_cast<uintptr_t>(&repl_b));
	EXPECT_EQ(call(1), 201);
	core::unpatch_object(b.obj);
	core::unpatch_object(a.obj);
	EXPECT_EQ(call(1), 2);
}

} // namespace
