// SPDX-License-Identifier: MIT
// lazy_libs.cpp - dlopen of libelf, Zydis and liburcu-bp on first need (lazy_libs.hpp). Depends on
// nothing of graft (no log): the CLI links it too. Failures reach the user through the
// callers' errors (lazy_libs_load's *why, elf_errmsg).
#include "os/lazy_libs.hpp"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

namespace graft::os {

namespace {

struct Lib {
	const char *soname;
	const char *package;
	std::atomic<void *> handle{nullptr};
	std::once_flag once;
	std::string error; // set once, under once
};

Lib libs[3] = {{GRAFT_LIBELF_SONAME, "libelf1"},
	       {GRAFT_ZYDIS_SONAME, "libzydis4.0"},
	       {GRAFT_URCU_BP_SONAME, "liburcu8"}};

Lib &lib_of(LazyLib which)
{
	return libs[static_cast<int>(which)];
}

// RTLD_LOCAL: the library's names stay out of the global scope, so the program's own
// copy (if it has one) is never interposed by ours, nor ours by it. RTLD_NODELETE: the
// handle is kept for the life of the process anyway, and a forwarded pointer must
// never dangle.
void open_lib(Lib &lib)
{
	dlerror();
	void *h = dlopen(lib.soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *err = dlerror();
		lib.error = std::string("cannot load ") + lib.soname + " (" +
			    (err ? err : "unknown dlopen error") + "): install the package " +
			    lib.package;
		return;
	}
	lib.handle.store(h, std::memory_order_release); // after the library is fully loaded
}

bool load(Lib &lib, std::string *why)
{
	std::call_once(lib.once, open_lib, lib);
	if (lib.handle.load(std::memory_order_acquire))
		return true;
	if (why)
		*why = lib.error;
	return false;
}

} // namespace

bool lazy_libs_load(std::string *why)
{
	for (Lib &lib : libs)
		if (!load(lib, why))
			return false;
	return true;
}

bool lazy_lib_load(LazyLib which, std::string *why)
{
	return load(lib_of(which), why);
}

void *lazy_symbol(LazyLib which, const char *name)
{
	Lib &lib = lib_of(which);
	if (!load(lib, nullptr))
		return nullptr;
	return dlsym(lib.handle.load(std::memory_order_acquire), name);
}

void *lazy_data(LazyLib which, const char *name)
{
	void *own = lazy_symbol(which, name); // also loads the library
	if (!own)
		return nullptr;
	void *global = dlsym(RTLD_DEFAULT, name);
	return global ? global : own;
}

// The x86-64 psABI's entry to dynamic TLS (ld.so exports it): the address of the
// calling thread's copy of {module, offset}.
extern "C" void *__tls_get_addr(LazyTls *);

void *tls_address(const LazyTls &tls)
{
	LazyTls ti = tls; // __tls_get_addr's argument is not const in its declaration
	return __tls_get_addr(&ti);
}

// dlsym gives the calling thread's copy of a TLS variable; its offset in the block is
// what every thread's copy shares.
bool lazy_tls(LazyLib which, const char *name, LazyTls *out)
{
	Lib &lib = lib_of(which);
	if (!load(lib, nullptr))
		return false;
	void *h = lib.handle.load(std::memory_order_acquire);
	size_t module = 0;
	if (dlinfo(h, RTLD_DI_TLS_MODID, &module) != 0 || module == 0)
		return false;
	auto *mine = static_cast<char *>(dlsym(h, name));
	if (!mine)
		return false;
	LazyTls base{module, 0};
	out->module = module;
	out->offset = static_cast<unsigned long>(mine - static_cast<char *>(tls_address(base)));
	return true;
}

} // namespace graft::os
