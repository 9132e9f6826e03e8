// SPDX-License-Identifier: MIT
// verify.hpp - checks of a linked patch module against the deployed target.
#pragma once

#include "module.hpp"

namespace graft::patchgen {

// Refuses (and removes output) unless: every graft_func and graft_sym resolves in its
// target by name and old_sympos to the expected symbol (the runtime's rule); the module
// has no text relocations; every undefined symbol of the module is provided by the
// target's libraries (or by libgraft.so).
// With several targets, each object's entries are checked in its target and the
// undefined symbols against all of them and their libraries.
void verify_module(const std::string &output, const std::vector<ObjectPlan> &objects);

} // namespace graft::patchgen
