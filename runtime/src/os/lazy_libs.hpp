// SPDX-License-Identifier: MIT
// lazy_libs.hpp - the libraries the runtime needs only once it patches (libelf for
// symbol tables, Zydis for decoding prologues, liburcu-bp for shadow variables), loaded
// on first need rather than with libgraft.so: preloaded into every process of a machine,
// their mappings, relocations and resident pages were a cost every process paid, patched
// or not (docs/performance.md).
//
// The calls into libelf and Zydis go through forwarding definitions of the same names
// (forward_elf.cpp, forward_zydis.cpp) that resolve each function once, with dlsym;
// shadow/rcu.cpp resolves liburcu-bp's itself, and its thread-local reader entry with
// lazy_tls. The CLI links forward_elf.cpp and this file too, and loads libelf only.
#pragma once

#include <string>

namespace graft::os {

enum class LazyLib { elf, zydis, urcu_bp };

// Loads all three now (once; later calls return at once). Call it outside graft's locks before
// anything that may patch: a dlopen under patch_mutex could deadlock against a thread
// inside dlopen that waits for patch_mutex (core/lifecycle.cpp). False and *why, naming
// the library and the package to install, when one cannot be loaded.
bool lazy_libs_load(std::string *why);

// The same for one library.
bool lazy_lib_load(LazyLib lib, std::string *why);

// The address of name in lib, loading lib if needed (a forwarding function reached
// before lazy_libs_load: the library is then opened where the call is made).
// nullptr when the library cannot be loaded or lacks the symbol.
void *lazy_symbol(LazyLib lib, const char *name);

// The variable name of lib as lib's own code reaches it, loading lib if needed. A program
// that links the library and reads the variable holds a copy of it in its own data (a
// copy relocation), which the library's code then uses instead of its own definition:
// the first definition in the global scope wins, as in ld.so's relocation of lib, and
// lib's own only where there is none. nullptr when lib cannot be loaded or lacks it.
void *lazy_data(LazyLib lib, const char *name);

// A thread-local variable of a lazily loaded library, as __tls_get_addr takes it: the
// library's TLS module id and the variable's offset in its block. tls_address gives the
// calling thread's copy (allocating that thread's block on its first use, as the code the
// compiler writes for a variable of another library does).
struct LazyTls {
	unsigned long module;
	unsigned long offset;
};
bool lazy_tls(LazyLib lib, const char *name, LazyTls *out);
void *tls_address(const LazyTls &tls);

// lazy_symbol with the type of the function it stands for.
template <typename F> F *lazy_function(LazyLib lib, const char *name)
{
	return reinterpret_cast<F *>(lazy_symbol(lib, name));
}

} // namespace graft::os

// In a forwarding definition: fn, the real function of that name in lib, resolved at
// the first call (one thread-safe static per function).
#define GRAFT_LAZY_REAL(lib, name) \
	static auto *const fn =    \
		graft::os::lazy_function<decltype(name)>(graft::os::LazyLib::lib, #name)
