// SPDX-License-Identifier: MIT
// abi_test.cpp - loads patch modules built from abi_patch.c / abi_patch.cpp and checks their graft_patch_export.
#include <graft/graft.h>

#include "abi_layout.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

// Stand-ins for libgraft.so's API: the modules leave these undefined and bind to the
// first definition in the process, as they bind to the preloaded runtime's.
namespace {
std::vector<std::string> g_log;
}

extern "C" {
__attribute__((visibility("default"))) void graft_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g_log.emplace_back(buf);
}

__attribute__((visibility("default"))) const char *graft_object_name(const graft_object *obj)
{
	return obj->name ? obj->name : "abi_test";
}

__attribute__((visibility("default"))) enum graft_object_state
graft_object_state(const graft_object *)
{
	return GRAFT_OBJECT_LIVE;
}
}

namespace {

using ReplacementFn = int (*)(int);

int call(void *fn, int arg)
{
	return reinterpret_cast<ReplacementFn>(fn)(arg);
}

void check_funcs(const graft_func *f, std::vector<std::pair<std::string, unsigned long>> want,
		 int add)
{
	for (const auto &[name, sympos] : want) {
		ASSERT_NE(f->old_name, nullptr);
		EXPECT_EQ(f->old_name, name);
		EXPECT_EQ(f->old_sympos, sympos);
		ASSERT_NE(f->new_func, nullptr);
		EXPECT_EQ(call(f->new_func, 1), 1 + add);
		f++;
	}
	// The terminator is a zeroed entry.
	EXPECT_EQ(f->old_name, nullptr);
	EXPECT_EQ(f->new_func, nullptr);
	EXPECT_EQ(f->old_sympos, 0u);
}

void check_module(const char *path)
{
	SCOPED_TRACE(path);
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ASSERT_NE(handle, nullptr) << dlerror();
	auto *exp = static_cast<const graft_patch_export *>(dlsym(handle, GRAFT_PATCH_SYMBOL));
	ASSERT_NE(exp, nullptr) << GRAFT_PATCH_SYMBOL " not exported";
	EXPECT_EQ(exp->abi_version, static_cast<unsigned>(GRAFT_ABI_VERSION));
	const graft_patch *patch = exp->patch;
	ASSERT_NE(patch, nullptr);
	EXPECT_EQ(patch->replace, 0);
	graft_object *objs = patch->objs;

	EXPECT_EQ(objs[0].name, nullptr); // the main executable
	check_funcs(objs[0].funcs, {{"abi_exe_func", 0}, {"abi_dup_static", 2}}, 100);
	EXPECT_EQ(objs[0].callbacks.pre_patch, nullptr);
	EXPECT_EQ(objs[0].syms, nullptr);

	EXPECT_STREQ(objs[1].name, "libabi_target.so");
	check_funcs(objs[1].funcs, {{"abi_lib_func", 0}}, 200);
	ASSERT_NE(objs[1].syms, nullptr);
	EXPECT_STREQ(objs[1].syms[0].name, "abi_static_data");
	EXPECT_EQ(objs[1].syms[0].sympos, 1u);
	EXPECT_NE(objs[1].syms[0].addr, nullptr);
	EXPECT_EQ(objs[1].syms[1].name, nullptr);

	g_log.clear();
	ASSERT_NE(objs[1].callbacks.pre_patch, nullptr);
	EXPECT_EQ(objs[1].callbacks.pre_patch(&objs[1]), 0);
	EXPECT_EQ(objs[1].callbacks.post_patch, nullptr);
	EXPECT_EQ(objs[1].callbacks.pre_unpatch, nullptr);
	ASSERT_NE(objs[1].callbacks.post_unpatch, nullptr);
	objs[1].callbacks.post_unpatch(&objs[1]);
	EXPECT_EQ(g_log,
		  (std::vector<std::string>{"abi_patch: pre_patch of 'libabi_target.so' (state 0)",
					    "abi_patch: post_unpatch of 'libabi_target.so'"}));

	EXPECT_EQ(objs[2].funcs, nullptr); // end of objects
	dlclose(handle);
}

} // namespace

TEST(Abi, C99Module)
{
	check_module(ABI_MODULE_C99);
}
TEST(Abi, Cxx11Module)
{
	check_module(ABI_MODULE_CXX11);
}
TEST(Abi, Cxx20Module)
{
	check_module(ABI_MODULE_CXX20);
}

TEST(Abi, PatchSymbolName)
{
	EXPECT_STREQ(GRAFT_PATCH_SYMBOL, "graft_patch_export");
}
