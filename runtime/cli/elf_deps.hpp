// SPDX-License-Identifier: MIT
// elf_deps.hpp - the little `graft run` needs to know about an ELF file: its
// DT_NEEDED list, whether it carries a sanitizer runtime, and its interpreter.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace graft::cli {

struct ElfDeps {
	std::vector<std::string> needed;  // DT_NEEDED, in order
	std::vector<std::string> defined; // the sanitizer entry points its .dynsym defines
	std::string interp;		  // PT_INTERP ("" for a shared library)
};

// nullopt if path is not a readable 64-bit ELF file (a script, say).
std::optional<ElfDeps> read_elf_deps(const std::string &path);

// A sanitizer runtime that must be the first object loaded (libasan.so.8, libtsan.so.2,
// libclang_rt.asan-x86_64.so, ...): preloading a library that needs one into a program
// built without it fails unless the runtime is preloaded first.
bool is_first_sanitizer_runtime(const std::string &soname);

// The program has a sanitizer runtime linked in statically (Clang's default for
// executables): preloading the shared runtime too would give it two.
bool links_sanitizer_statically(const ElfDeps &deps);

} // namespace graft::cli
