// SPDX-License-Identifier: MIT
// library.hpp - libraries that load or unload while patches are enabled: the kernel's
// klp_module_coming and klp_module_going, with its callbacks, order and log lines.
// The loader layer (src/loader/) calls these at the loader's events; both take
// patch_mutex, so they must never be called with it held.
#pragma once

#include <string>

#include "symbols/symbols.hpp"

namespace graft::core {

// lib has just been mapped and relocated (its constructors have not run, when the
// loader reports it that early). Every enabled patch, and the patch in transition,
// with an object for lib gets it, in load order: resolve, "applying patch ...",
// pre_patch, patch, post_patch unless that patch is in transition. On failure the
// patches applied before are reverted and the refusal is returned ("" when none): the
// load must fail with it.
std::string library_coming(const symbols::Object &lib);

// lib's destructors have run and its memory is still mapped: every patch with an object
// bound to it reverts it ("reverting patch ...", pre_unpatch unless in transition,
// unpatch, post_unpatch) and forgets where it was.
void library_going(const symbols::Object &lib);

// When the loader cannot report unloads (no audit module), a patched library must never
// be unmapped: the loader layer pins it. Set by the loader layer; nullptr: not needed.
extern void (*library_pin)(const std::string &path);

} // namespace graft::core
