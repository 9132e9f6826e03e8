// SPDX-License-Identifier: MIT
// late.hpp - attach mode's events: libc's pthread_create and dlopen entries redirected
// to graft's wrappers (late_hooks.cpp), since a late-loaded library interposes nothing.
#pragma once

#include <string>

namespace graft::loader {

// Redirects libc's pthread_create (new threads start in their creator's patch state)
// and dlopen (new libraries are patched when it returns). Called once, by
// graft_attach_boot, before the control socket opens. False with *why on failure; a
// redirection installed before the failure stays (it only forwards).
bool late_hooks_install(std::string *why);

} // namespace graft::loader
