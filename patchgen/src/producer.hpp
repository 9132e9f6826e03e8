// SPDX-License-Identifier: MIT
// producer.hpp - DW_AT_producer: the compiler and the flags each unit of the target was
// built with (GCC records its code-generation switches there), compared with those of
// the rebuilt original, so that a rebuild with other flags is refused by name instead of
// giving a module whose code is not the deployed code.
#pragma once

#include "target.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace graft::patchgen {

// name of the compilation unit (DW_AT_name, the source as given to the compiler) ->
// DW_AT_producer, for every unit of an ELF file's DWARF; empty without DWARF.
std::map<std::string, std::string> producers_of(const std::string &elf_path);

// The producer with graft-cc's own switches (-ffunction-sections, -fdata-sections,
// -fno-common, -fpatchable-function-entry=...) taken out: they do not change the code.
std::string without_graft_cc_flags(const std::string &producer);

// Refuses when an original object (relative path -> file) was compiled by another
// compiler or with other flags than the target's unit of the same source. Units or
// files without DWARF are not checked (said with -v). With several targets, the unit
// of that source in any of them. An object whose flags differ while another object of
// the same source has the target's (libtool's non-PIC object for the static library
// next to the shared library's -fPIC one) is not the target's: returned, to be left
// out of the comparison, instead of refused.
std::set<std::string> check_producers(const std::map<std::string, std::string> &objects,
				      const std::vector<Target> &targets);

} // namespace graft::patchgen
