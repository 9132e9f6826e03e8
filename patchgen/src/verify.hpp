// SPDX-License-Identifier: MIT
// verify.hpp - checks of a linked patch module against the deployed target.
#pragma once

#include "module.hpp"

namespace graft::patchgen {

// Refuses (and removes output) unless: every graft_func and graft_sym resolves in the
// target by name and old_sympos to the expected symbol (the runtime's rule); the module
// has no text relocations; every undefined symbol of the module is provided by the
// target's libraries (or by libgraft.so).
void verify_module(const std::string &output, const Target &target,
		   const std::vector<FuncEntry> &funcs, const std::vector<SymEntry> &syms);

} // namespace graft::patchgen
