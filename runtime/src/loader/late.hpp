// SPDX-License-Identifier: MIT
// late.hpp - attach mode's events: libc's pthread_create and dlopen entries redirected
// to graft's wrappers (late_hooks.cpp), since a late-loaded library interposes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "loader/loader.hpp"

namespace graft::loader {

// Redirects libc's pthread_create (new threads start in their creator's patch state)
// and dlopen (new libraries are patched when it returns). Called once, by
// graft_attach_boot, before the control socket opens. False with *why on failure; a
// redirection installed before the failure stays (it only forwards).
bool late_hooks_install(std::string *why);

// Redirects the loader's _dl_debug_state (debug_state.cpp): a library a gated dlopen
// brings in is patched before its constructors. False with *why when the loader's code
// is not of the expected shape (nothing changed).
bool debug_state_hook_install(std::string *why);

// Before the real dlopen, with the load gate held: the objects loaded now (kept by
// the caller until after_load_pins); the hook patches those absent from it.
void debug_state_begin(const Loaded *loaded);

// After the real dlopen returned, with the load gate still held: the patched libraries'
// pins the hook queued (it cannot call the loader) are made.
void after_load_pins();

// The global scope's definition of name and its symbol size (dladdr1).
bool find_symbol(const char *name, uintptr_t *addr, size_t *size);

} // namespace graft::loader
