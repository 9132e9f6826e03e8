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
		EXPECT_EQ(memcmp(original, reinterpret_cast<void *>(&fs_target), sizeof(original)), 0)
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

} // namespace
