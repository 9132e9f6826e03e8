// SPDX-License-Identifier: MIT
// lazy_libs.hpp - libelf loaded on first need, for the graft command: `graft --help` and
// most commands never read a symbol table, and loading libelf (and its libz) was part of
// every command's start (docs/performance.md). The calls go through forwarding
// definitions of the same names (forward_elf.cpp) that resolve each function once, with
// dlsym. Linked into the CLI only (graft_cli_lazy); libgraft.so links libelf itself.
#pragma once

#include <string>

namespace graft::os {

enum class LazyLib { elf };

// Loads lib now (once; later calls return at once). False and *why, naming the library
// and the package to install, when it cannot be loaded.
bool lazy_load(LazyLib lib, std::string *why);

// The address of name in lib, loading lib if needed. nullptr when the library cannot be
// loaded or lacks the symbol.
void *lazy_symbol(LazyLib lib, const char *name);

} // namespace graft::os
