// SPDX-License-Identifier: MIT
// lazy_libs.hpp - the libraries the runtime needs only once it patches (libelf for
// symbol tables, Zydis for decoding prologues), loaded on first need rather than with
// libgraft.so: preloaded into every process of a machine, their mappings, relocations
// and resident pages were a cost every process paid, patched or not (docs/performance.md).
//
// The calls into them go through forwarding definitions of the same names
// (forward_elf.cpp, forward_zydis.cpp) that resolve each function once, with dlsym. The
// CLI links forward_elf.cpp and this file too, and loads libelf only.
#pragma once

#include <string>

namespace graft::os {

enum class LazyLib { elf, zydis };

// Loads both now (once; later calls return at once). Call it outside graft's locks before
// anything that may patch: a dlopen under patch_mutex could deadlock against a thread
// inside dlopen that waits for patch_mutex (core/lifecycle.cpp). False and *why, naming
// the library and the package to install, when one cannot be loaded.
bool lazy_libs_load(std::string *why);

// The address of name in lib, loading lib if needed (a forwarding function reached
// before lazy_libs_load: the library is then opened where the call is made).
// nullptr when the library cannot be loaded or lacks the symbol.
void *lazy_symbol(LazyLib lib, const char *name);

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
