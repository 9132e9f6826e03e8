// SPDX-License-Identifier: MIT
// loader.hpp - where the runtime learns that libraries load and unload, and how a load
// is refused: the rtld-audit module when `graft run` set LD_AUDIT (the exact kernel
// moments), else the interposed dlopen (after the library's constructors; patched
// libraries are then pinned so that they are never unmapped under a patch).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

namespace graft::loader {

// Finds libgraft-audit.so among the loader's namespaces and attaches to it; without
// it, falls back to the dlopen wrapper and pinning. Called once from the constructor.
void loader_init();

// After a dlopen: the patch store's modules loaded for that library are enabled if it is
// their build, else unloaded (store/autoload.hpp). Outside the load gate.
void settle_store();

// Looks up the C library's dlopen, dlclose and dlerror that the wrappers call.
void dl_wrap_init();

// True when the audit module reports loads and unloads.
bool audit_attached();

// The objects loaded now, by base address and path: taken before a dlopen, so that
// patch_new_objects() finds what it brought in.
using Loaded = std::set<std::pair<uintptr_t, std::string>>;
Loaded snapshot();

// Without the audit module: every object loaded since `before` goes through
// core::library_coming() now (after its constructors); a patch's refusal goes to
// refused (set_refusal, or attach mode's log line).
void patch_new_objects(const Loaded &before, void (*refused)(const std::string &why));

// The refusal a library_coming() returned while this thread was in dlopen: the
// dlopen wrapper fails the load with it. Kept per thread, first one wins.
void set_refusal(const std::string &why);

// Calls real (a dlopen of the C library, or its relocated entry) as if from the code at
// caller_pc, so that glibc resolves RUNPATH, $ORIGIN and the link namespace against the
// application's calling object, not libgraft.so (call_as.S). Every dlopen wrapper of
// every mode goes through it.
void *dlopen_with(void *real, const char *file, int mode, const void *caller_pc);

// The same for dlmopen (attach mode redirects it too).
void *dlmopen_with(void *real, long lmid, const char *file, int mode, const void *caller_pc);

// Without the audit module: makes the loaded library at path RTLD_NODELETE, so that a
// dlclose never unmaps code that is patched (its unload could not be seen in time).
void pin_library(const std::string &path);

} // namespace graft::loader
