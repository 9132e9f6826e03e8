// SPDX-License-Identifier: MIT
// dl_wrap.cpp - the interposed dlopen and dlerror (exported by libgraft.so, which is
// preloaded): a load a patch refuses fails here, with dlerror() naming the patch and the
// reason, as insmod fails for a module a livepatch refuses. Without the audit module,
// dlopen is also where loads are seen: the new objects are patched when the real dlopen
// returns, after their constructors ran (documented in docs/architecture.md).
#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <set>
#include <utility>

#include <graft/graft.h>

#include "core/library.hpp"
#include "base/log.hpp"
#include "loader/loader.hpp"
#include "symbols/symbols.hpp"

namespace graft::loader {
namespace {

// Per thread, as dlerror's own state. Fixed buffers: no destructor to register.
thread_local char refusal[512];
thread_local char error[600];
thread_local bool error_pending;

using DlopenFn = void *(*)(const char *, int);
using DlcloseFn = int (*)(void *);
using DlerrorFn = char *(*)();

DlopenFn real_dlopen()
{
	static DlopenFn fn = reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen"));
	return fn;
}

DlcloseFn real_dlclose()
{
	static DlcloseFn fn = reinterpret_cast<DlcloseFn>(dlsym(RTLD_NEXT, "dlclose"));
	return fn;
}

DlerrorFn real_dlerror()
{
	static DlerrorFn fn = reinterpret_cast<DlerrorFn>(dlsym(RTLD_NEXT, "dlerror"));
	return fn;
}

using Loaded = std::set<std::pair<uintptr_t, std::string>>;

Loaded snapshot()
{
	Loaded out;
	for (const symbols::Object &obj : symbols::list_loaded())
		out.emplace(obj.base, obj.path);
	return out;
}

// Without the audit module: every object the dlopen brought in, patched now.
void patch_new_objects(const Loaded &before)
{
	for (const symbols::Object &obj : symbols::list_loaded()) {
		if (obj.is_main || before.count({obj.base, obj.path}))
			continue;
		std::string why = core::library_coming(obj);
		if (!why.empty())
			set_refusal(why);
	}
}

} // namespace

void set_refusal(const std::string &why)
{
	if (!refusal[0])
		snprintf(refusal, sizeof(refusal), "%s", why.c_str());
}

void pin_library(const std::string &path)
{
	void *h = real_dlopen()(path.c_str(), RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	if (!h)
		return;
	real_dlclose()(h);
	log::printf("graft: library '%s' stays mapped while patched (start the program with "
		    "'graft run' to have unloads reverted)", path.c_str());
}

} // namespace graft::loader

using namespace graft;

extern "C" GRAFT_API void *dlopen(const char *file, int mode)
{
	loader::refusal[0] = '\0';
	loader::error_pending = false;
	bool track = !loader::audit_attached() && file;
	loader::Loaded before;
	try {
		if (track)
			before = loader::snapshot();
	} catch (...) {
		track = false; // out of memory: the load goes on unpatched
	}
	void *handle = loader::real_dlopen()(file, mode);
	try {
		if (handle && track)
			loader::patch_new_objects(before);
	} catch (...) {
		log::printf("graft: out of memory while '%s' loaded: not patched", file);
	}
	if (!handle || !loader::refusal[0])
		return handle;
	// Refused: the library's patches were rolled back; unload it again.
	loader::real_dlclose()(handle);
	snprintf(loader::error, sizeof(loader::error), "%s: %s", file, loader::refusal);
	loader::error_pending = true;
	loader::refusal[0] = '\0';
	return nullptr;
}

extern "C" GRAFT_API char *dlerror(void)
{
	if (loader::error_pending) {
		loader::error_pending = false;
		return loader::error;
	}
	return loader::real_dlerror()();
}
