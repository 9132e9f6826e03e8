// SPDX-License-Identifier: MIT
// build_id.hpp - the GNU build-id of a loaded object, read from its PT_NOTE segment in
// memory (never from the file on disk: a library replaced on disk while mapped has
// another build-id there than the code that runs).
#pragma once

#include <link.h>

#include <string>

namespace graft::symbols {

// The build-id (lowercase hex) of the object loaded at base with these program
// headers; "" when it has none. Notes outside the object's PT_LOAD segments (not
// mapped) are not read.
std::string build_id_of_phdrs(uintptr_t base, const ElfW(Phdr) * phdr, size_t phnum);

// The same for a library the loader describes with map (its ELF header is read at
// map->l_addr, checked against map->l_ld); "" when that fails or it has none.
std::string build_id_of_map(const link_map *map);

// The build-id of the main executable (AT_PHDR).
std::string build_id_of_main();

} // namespace graft::symbols
