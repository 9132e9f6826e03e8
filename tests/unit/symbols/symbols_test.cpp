// SPDX-License-Identifier: MIT
// symbols_test.cpp - unit tests of ELF symbol lookup: sympos, fallbacks, build-id, loaded objects.
#include "symbols/symbols.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace graft::symbols;

extern "C" __attribute__((noinline, used, visibility("default"))) int symbols_test_marker(void)
{
	return 11;
}

namespace {

std::shared_ptr<SymbolTable> open_or_fail(const char *path)
{
	std::string err;
	auto table = SymbolTable::open(path, &err);
	EXPECT_TRUE(table) << err;
	return table;
}

// The lookup's error message, or "" when it succeeded.
std::string find_error(const SymbolTable &t, const char *name, unsigned long sympos)
{
	Symbol sym;
	std::string err;
	return t.find(name, sympos, 0, "libsymfix.so", &sym, &err) ? "" : err;
}

Symbol find_ok(const SymbolTable &t, const char *name, unsigned long sympos, uintptr_t base = 0)
{
	Symbol sym;
	std::string err;
	EXPECT_TRUE(t.find(name, sympos, base, "obj", &sym, &err)) << err;
	return sym;
}

} // namespace

TEST(SymbolTable, UniqueExportedAndStaticFunctions)
{
	auto t = open_or_fail(FIX_LIB);
	ASSERT_TRUE(t);
	EXPECT_TRUE(t->has_symtab());
	for (const char *name : {"fix_exported", "only_static", "fix_call_statics"}) {
		Symbol s = find_ok(*t, name, 0);
		EXPECT_NE(s.addr, 0u) << name;
		EXPECT_GT(s.size, 0u) << name;
		EXPECT_TRUE(s.is_func) << name;
	}
	Symbol data = find_ok(*t, "fix_data", 0);
	EXPECT_FALSE(data.is_func);
	EXPECT_FALSE(data.is_tls);
	Symbol tls = find_ok(*t, "fix_tls", 0);
	EXPECT_TRUE(tls.is_tls);
	EXPECT_FALSE(tls.is_func);
	EXPECT_EQ(data.size, sizeof(int));
	// sympos 1 of a unique name is that name.
	EXPECT_EQ(find_ok(*t, "only_static", 1).addr, find_ok(*t, "only_static", 0).addr);
}

TEST(SymbolTable, BaseIsAdded)
{
	auto t = open_or_fail(FIX_LIB);
	ASSERT_TRUE(t);
	EXPECT_EQ(find_ok(*t, "fix_exported", 0, 0x10000).addr,
		  find_ok(*t, "fix_exported", 0).addr + 0x10000);
}

TEST(SymbolTable, KernelMessages)
{
	auto t = open_or_fail(FIX_LIB);
	ASSERT_TRUE(t);
	EXPECT_EQ(find_error(*t, "no_such_function", 0),
		  "symbol 'no_such_function' not found in symbol table");
	EXPECT_EQ(find_error(*t, "no_such_function", 2),
		  "symbol 'no_such_function' not found in symbol table");
	EXPECT_EQ(find_error(*t, "dup_static", 0),
		  "unresolvable ambiguity for symbol 'dup_static' in object 'libsymfix.so'");
	EXPECT_EQ(find_error(*t, "dup_static", 3),
		  "symbol position 3 for symbol 'dup_static' in object 'libsymfix.so' not found");
	EXPECT_EQ(find_error(*t, "only_static", 2),
		  "symbol position 2 for symbol 'only_static' in object 'libsymfix.so' not found");
	// Undefined references (printf-like imports) are not definitions.
	EXPECT_EQ(find_error(*t, "", 0), "symbol '' not found in symbol table");
}

TEST(SymbolTable, DuplicateStaticsInExecutable)
{
	auto t = open_or_fail(FIX_EXE);
	ASSERT_TRUE(t);
	Symbol first = find_ok(*t, "exe_dup", 1), second = find_ok(*t, "exe_dup", 2);
	EXPECT_NE(first.addr, second.addr);
	EXPECT_TRUE(first.is_func && second.is_func);
	// exe_a.c is linked first: its exe_dup comes first, before exe_call_b of exe_b.c.
	EXPECT_LT(first.addr, find_ok(*t, "exe_call_b", 0).addr);
	EXPECT_NE(find_error(*t, "exe_dup", 0), "");
	EXPECT_NE(find_error(*t, "exe_dup", 3), "");
	EXPECT_EQ(find_ok(*t, "main", 0).is_func, true);
	EXPECT_EQ(t->build_id(), ""); // linked with --build-id=none
}

TEST(SymbolTable, BuildId)
{
	auto t = open_or_fail(FIX_LIB);
	ASSERT_TRUE(t);
	EXPECT_EQ(t->build_id(), "0123456789abcdef0123456789abcdef01234567");
	auto stripped = open_or_fail(FIX_LIB_STRIPPED);
	ASSERT_TRUE(stripped);
	EXPECT_EQ(stripped->build_id(), t->build_id()); // strip keeps the note
}

TEST(SymbolTable, StrippedFallsBackToDynsym)
{
	auto full = open_or_fail(FIX_LIB), t = open_or_fail(FIX_LIB_STRIPPED);
	ASSERT_TRUE(full && t);
	EXPECT_FALSE(t->has_symtab());
	EXPECT_EQ(find_ok(*t, "fix_exported", 0).addr, find_ok(*full, "fix_exported", 0).addr);
	EXPECT_EQ(find_ok(*t, "fix_exported", 0).size, find_ok(*full, "fix_exported", 0).size);
	EXPECT_FALSE(find_ok(*t, "fix_data", 0).is_func);
	EXPECT_EQ(find_error(*t, "only_static", 0),
		  "symbol 'only_static' not found in symbol table");
	EXPECT_EQ(find_error(*t, "dup_static", 1), "symbol 'dup_static' not found in symbol table");
}

TEST(SymbolTable, SameNameSameAddressCountsOnce)
{
	auto t = open_or_fail(FIX_ALIAS), orig = open_or_fail(FIX_LIB);
	ASSERT_TRUE(t && orig);
	// The copy has a LOCAL fix_alias next to the GLOBAL one, at the same address.
	Symbol s = find_ok(*t, "fix_alias", 0);
	EXPECT_EQ(s.addr, find_ok(*orig, "fix_alias", 0).addr);
	EXPECT_EQ(s.size, find_ok(*orig, "fix_alias", 0).size); // the larger size is kept
	EXPECT_TRUE(s.is_func);
	EXPECT_NE(find_error(*t, "fix_alias", 2), "");
}

TEST(SymbolTable, VersionedSymbolsMeanTheDefaultVersion)
{
	auto full = open_or_fail(FIX_SYMVER);
	ASSERT_TRUE(full);
	uintptr_t ver_v2 = find_ok(*full, "ver_v2", 0).addr;
	for (const char *path : {FIX_SYMVER, FIX_SYMVER_STRIPPED}) {
		auto t = open_or_fail(path);
		ASSERT_TRUE(t);
		Symbol v2 = find_ok(*t, "ver", 0);
		EXPECT_EQ(v2.addr, ver_v2) << path;
		EXPECT_EQ(find_error(*t, "ver", 2), "symbol position 2 for symbol 'ver' in object "
						    "'libsymfix.so' not found")
			<< path;
		if (t->has_symtab()) {
			EXPECT_EQ(v2.addr, find_ok(*t, "ver@@V2", 0).addr);
			EXPECT_NE(v2.addr, find_ok(*t, "ver@V1", 0).addr);
		}
	}
}

TEST(SymbolTable, OpenFailures)
{
	std::string err;
	EXPECT_FALSE(SymbolTable::open("/nonexistent/libx.so", &err));
	EXPECT_EQ(err, "cannot read ELF file '/nonexistent/libx.so': No such file or directory");
	char path[] = "/tmp/graft-symbols-test-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "not elf\n", 8), 8);
	close(fd);
	EXPECT_FALSE(SymbolTable::open(path, &err));
	EXPECT_EQ(err, std::string("cannot read ELF file '") + path + "': not an ELF file");
	unlink(path);
	EXPECT_FALSE(SymbolTable::open("/nonexistent", nullptr)); // err is optional
}

TEST(Loaded, MainExecutableFirst)
{
	auto objs = list_loaded();
	ASSERT_FALSE(objs.empty());
	EXPECT_TRUE(objs[0].is_main);
	char real[PATH_MAX];
	ASSERT_TRUE(realpath("/proc/self/exe", real));
	EXPECT_EQ(objs[0].path, real);
	EXPECT_EQ(objs[0].name, "symbols_test");
	const Object *main = find_object(objs, nullptr);
	ASSERT_EQ(main, &objs[0]);
	for (size_t i = 1; i < objs.size(); i++) {
		EXPECT_FALSE(objs[i].is_main);
		EXPECT_EQ(objs[i].path[0], '/') << objs[i].path;
		EXPECT_NE(objs[i].name, "linux-vdso.so.1");
	}
	EXPECT_EQ(find_object(objs, "linux-vdso.so.1"), nullptr);
	const Object *libc = find_object(objs, "libc.so.6");
	ASSERT_NE(libc, nullptr);
	EXPECT_EQ(libc->soname, "libc.so.6");

	// The main program's own symbols, base applied, are its real addresses.
	auto t = open_or_fail(main->path.c_str());
	ASSERT_TRUE(t);
	EXPECT_EQ(find_ok(*t, "symbols_test_marker", 0, main->base).addr,
		  reinterpret_cast<uintptr_t>(&symbols_test_marker));
}

TEST(Loaded, DlopenedLibraryMatchesDlsym)
{
	void *handle = dlopen(FIX_LIB, RTLD_NOW | RTLD_LOCAL);
	ASSERT_NE(handle, nullptr) << dlerror();
	auto objs = list_loaded();
	const Object *by_file = find_object(objs, "libsymfix.so");
	const Object *by_soname = find_object(objs, "libsymfix.so.1");
	ASSERT_NE(by_file, nullptr);
	EXPECT_EQ(by_file, by_soname);
	EXPECT_EQ(by_file->path, FIX_LIB);
	EXPECT_EQ(by_file->soname, "libsymfix.so.1");
	EXPECT_EQ(find_object(objs, "libsymfix"), nullptr);

	auto t = open_or_fail(by_file->path.c_str());
	ASSERT_TRUE(t);
	for (const char *name : {"fix_exported", "fix_data", "fix_call_statics"})
		EXPECT_EQ(find_ok(*t, name, 0, by_file->base).addr,
			  reinterpret_cast<uintptr_t>(dlsym(handle, name)))
			<< name;
	// sympos follows link order: lib_a.c's dup_static returns 1, lib_b.c's 2.
	for (unsigned long pos : {1ul, 2ul}) {
		auto fn = reinterpret_cast<int (*)()>(
			find_ok(*t, "dup_static", pos, by_file->base).addr);
		EXPECT_EQ(fn(), static_cast<int>(pos));
	}
	auto only = reinterpret_cast<int (*)()>(find_ok(*t, "only_static", 0, by_file->base).addr);
	EXPECT_EQ(only(), 3);
	dlclose(handle);
}

// How fast lookups are is for a benchmark; this checks 1,000 of them find what they should.
TEST(SymbolTable, ThousandLookupsInABigBinary)
{
	auto objs = list_loaded();
	const Object *libc = find_object(objs, "libc.so.6");
	ASSERT_NE(libc, nullptr);
	const char *names[] = {"malloc",
			       "free",
			       "printf",
			       "memcpy",
			       "dl_iterate_phdr",
			       "pthread_create",
			       "symbols_test_marker",
			       "no_such_symbol"};
	auto t_libc = open_or_fail(libc->path.c_str());
	auto t_main = open_or_fail(objs[0].path.c_str());
	ASSERT_TRUE(t_libc && t_main);
	size_t found = 0;
	for (int i = 0; i < 1000; i++) {
		Symbol s;
		std::string err;
		const char *name = names[i % (sizeof(names) / sizeof(names[0]))];
		found += t_libc->find(name, 0, libc->base, "libc.so.6", &s, &err);
		found += t_main->find(name, 0, objs[0].base, "symbols_test", &s, &err);
	}
	// libc has 6 of the 8 names, this executable at least the marker (a sanitizer
	// build defines more of them here).
	EXPECT_GE(found, 1000u * 7 / 8);
	Symbol s;
	// getpid: a libc function no sanitizer interposes, so dlsym finds libc's own.
	ASSERT_TRUE(t_libc->find("getpid", 0, libc->base, "libc.so.6", &s, nullptr));
	EXPECT_EQ(s.addr, reinterpret_cast<uintptr_t>(dlsym(RTLD_DEFAULT, "getpid")));
}

namespace {

// A debug directory laid out as a -dbgsym package installs it, in a fresh temp dir.
struct DebugDir {
	std::string root;
	DebugDir()
	{
		char tmpl[] = "/tmp/graft-debugdir.XXXXXX";
		root = mkdtemp(tmpl);
	}
	~DebugDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(root, ec);
	}
	// Installs from as the debug file of build-id id; returns its path.
	std::string install(const std::string &id, const char *from) const
	{
		std::string dir = root + "/.build-id/" + id.substr(0, 2);
		std::filesystem::create_directories(dir);
		std::string to = dir + "/" + id.substr(2) + ".debug";
		std::ifstream in(from, std::ios::binary);
		std::ofstream(to, std::ios::binary) << in.rdbuf();
		return to;
	}
};

const char *kFixId = "0123456789abcdef0123456789abcdef01234567";

} // namespace

// A stripped file's .symtab comes from DIR/.build-id/xx/yyyy.debug when its build-id is
// the stripped file's: the statics .dynsym lacks are found there.
TEST(SymbolTable, StrippedFileReadsItsDebugFileByBuildId)
{
	DebugDir dbg;
	std::string debug = dbg.install(kFixId, FIX_LIB); // the unstripped file: same build
	std::string err, used;
	auto t = SymbolTable::open_with_debug(FIX_LIB_STRIPPED, FIX_LIB_STRIPPED, {dbg.root}, &err,
					      &used);
	ASSERT_TRUE(t) << err;
	EXPECT_TRUE(t->has_symtab());
	EXPECT_EQ(used, debug);
	EXPECT_EQ(t->build_id(), kFixId);
	EXPECT_GT(find_ok(*t, "only_static", 0).size, 0u);
}

// A debug file of another build at the build-id's place is not used (its addresses
// would be wrong): the stripped file's own .dynsym, as without any.
TEST(SymbolTable, DebugFileOfAnotherBuildIsNotUsed)
{
	DebugDir dbg;
	dbg.install(kFixId, FIX_SYMVER);
	std::string err, used;
	auto t = SymbolTable::open_with_debug(FIX_LIB_STRIPPED, FIX_LIB_STRIPPED, {dbg.root}, &err,
					      &used);
	ASSERT_TRUE(t) << err;
	EXPECT_FALSE(t->has_symtab());
	EXPECT_EQ(used, FIX_LIB_STRIPPED);
	EXPECT_NE(find_error(*t, "only_static", 0), "");
}
