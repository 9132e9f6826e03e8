// SPDX-License-Identifier: MIT
// differ.hpp - compares the original and the patched object of one translation unit:
// which functions changed, which are new, which symbols are the same thing in both
// (correlation), and refusals for what cannot be live-patched (changed data, changed
// static initialisers, new thread-locals or IFUNCs, top-level asm).
#pragma once

#include "elf_object.hpp"

#include <map>
#include <set>
#include <string>

namespace graft::patchgen {

struct Diff {
	std::map<std::string, std::string> twin;   // patched name -> original name
	std::set<std::string> changed;		   // patched names of changed functions
	std::set<std::string> added;		   // patched names of new functions
	std::set<std::string> new_data;		   // patched names of new objects
	std::map<std::string, std::string> parent; // ".cold" part -> its function
};

// name with every ".<digits>" run replaced by ".#": "calls.0" and "calls.3",
// "f.isra.0" and "f.isra.1" compare equal, as kpatch's mangled strcmp does.
std::string normalize_name(const std::string &name);

// Compiler temporaries that belong to the function using them and are never matched
// across builds: CSWTCH tables, __func__ strings, DW.ref cells, local labels.
bool is_compiler_temporary(const std::string &name);

// The function a ".cold" part belongs to ("f.cold" -> "f"), empty if not a part.
std::string cold_parent(const std::string &name);

// Compares the two objects. tu names the translation unit in refusals.
Diff diff_objects(const ElfObject &orig, const ElfObject &patched, const std::string &tu);

// Refuses when the top-level asm statements (#APP blocks outside functions) of the two
// assembly files differ.
void check_toplevel_asm(const std::string &orig_s, const std::string &patched_s,
			const std::string &tu);

} // namespace graft::patchgen
