// SPDX-License-Identifier: MIT
// loader.hpp - where the runtime learns that libraries load and unload, and how a load
// is refused: the rtld-audit module when `graft run` set LD_AUDIT (the exact kernel
// moments), else the interposed dlopen (after the library's constructors; patched
// libraries are then pinned so that they are never unmapped under a patch).
#pragma once

#include <string>

namespace graft::loader {

// Finds libgraft-audit.so among the loader's namespaces and attaches to it; without
// it, falls back to the dlopen wrapper and pinning. Called once from the constructor.
void loader_init();

// Looks up the C library's dlopen, dlclose and dlerror that the wrappers call.
void dl_wrap_init();

// True when the audit module reports loads and unloads.
bool audit_attached();

// The refusal a library_coming() returned while this thread was in dlopen: the
// dlopen wrapper fails the load with it. Kept per thread, first one wins.
void set_refusal(const std::string &why);

// Without the audit module: makes the loaded library at path RTLD_NODELETE, so that a
// dlclose never unmaps code that is patched (its unload could not be seen in time).
void pin_library(const std::string &path);

} // namespace graft::loader
