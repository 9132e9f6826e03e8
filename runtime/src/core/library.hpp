// SPDX-License-Identifier: MIT
// library.hpp - libraries that load or unload while patches are enabled: the kernel's
// klp_module_coming and klp_module_going, with its callbacks, order and log lines.
// The loader layer (src/loader/) calls these at the loader's events; both take
// patch_mutex unless this thread holds the load gate, so they must never be called
// with it held otherwise.
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

// The load gate: the interposed dlopen and dlclose hold patch_mutex around the real
// call, so a library_coming/going from inside it (the audit module, with the loader's
// locks held) finds the lock already taken by its own thread. The lock order is then
// patch_mutex -> the loader's locks on every thread, as on the control thread, which
// takes loader locks under patch_mutex (pthread_create and the first access to a
// library's thread-local variables take the loader's TLS lock). Nested calls (a
// constructor that dlopens) only count. Not taken while the process exits (the lock
// is kept by transition_quiesce_at_exit then).
void load_gate_enter();
void load_gate_exit();
// True while this thread holds patch_mutex through the load gate.
bool load_gate_held();

// When the loader cannot report unloads (no audit module), a patched library must never
// be unmapped: the loader layer pins it. Set by the loader layer; nullptr: not needed.
extern void (*library_pin)(const std::string &path);

} // namespace graft::core
