// SPDX-License-Identifier: MIT
// producer.cpp - reading DW_AT_producer with libdw and comparing the rebuild with the target.
#include "producer.hpp"

#include "common.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <set>
#include <sstream>

namespace graft::patchgen {

namespace {

// Every file is named explicitly (the target's debug file too): no search, and never
// debuginfod over the network.
int no_debuginfo(Dwfl_Module *, void **, const char *, Dwarf_Addr, const char *, const char *,
		 GElf_Word, char **)
{
	return -1;
}

} // namespace

std::map<std::string, std::string> producers_of(const std::string &elf_path)
{
	std::map<std::string, std::string> out;
	// libdwfl rather than dwarf_begin: an object file's DWARF refers to its strings
	// through relocations, which only libdwfl applies.
	static const Dwfl_Callbacks callbacks = {dwfl_build_id_find_elf, no_debuginfo,
						 dwfl_offline_section_address, nullptr};
	Dwfl *dwfl = dwfl_begin(&callbacks);
	Dwfl_Module *mod = dwfl ? dwfl_report_offline(dwfl, "", elf_path.c_str(), -1) : nullptr;
	Dwarf_Addr bias = 0;
	// Without DWARF there is no Dwarf: nothing to compare, an empty map.
	Dwarf *dw = mod && dwfl_report_end(dwfl, nullptr, nullptr) == 0
			    ? dwfl_module_getdwarf(mod, &bias)
			    : nullptr;
	Dwarf_Off off = 0, next = 0;
	size_t header = 0;
	while (dw && dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + header, &cu)) {
			Dwarf_Attribute a;
			const char *name = dwarf_diename(&cu);
			const char *prod = dwarf_formstring(dwarf_attr(&cu, DW_AT_producer, &a));
			if (name && prod)
				out.emplace(name, prod);
		}
		off = next;
	}
	if (dwfl)
		dwfl_end(dwfl);
	return out;
}

std::string without_graft_cc_flags(const std::string &producer)
{
	std::istringstream in(producer);
	std::string word, out;
	while (in >> word) {
		if (word == "-ffunction-sections" || word == "-fdata-sections" ||
		    word == "-fno-common" || word.rfind("-fpatchable-function-entry=", 0) == 0)
			continue;
		out += (out.empty() ? "" : " ") + word;
	}
	return out;
}

namespace {

// The target's units: from the file that has the DWARF (the target, or its separate
// debug file, which is where a stripped target keeps it).
std::map<std::string, std::string> target_producers(const Target &target)
{
	auto units = producers_of(target.path);
	if (units.empty() && target.symbols_path != target.path)
		units = producers_of(target.symbols_path);
	return units;
}

} // namespace

std::set<std::string> check_producers(const std::map<std::string, std::string> &objects,
				      const std::vector<Target> &targets)
{
	std::set<std::string> left_out;
	std::map<std::string, std::string> units;
	for (const Target &t : targets)
		units.merge(target_producers(t)); // the first target's unit of a name wins
	if (units.empty()) {
		info("the target has no DWARF (DW_AT_producer): the compiler and flags of the "
		     "rebuild "
		     "are not compared with the target's");
		return left_out;
	}
	// Per object, its units whose producer is not the target's; per unit, whether some
	// object of that source has the target's producer.
	std::map<std::string, std::vector<std::pair<std::string, std::string>>> differing;
	std::set<std::string> matched;
	for (const auto &[rel, obj] : objects) {
		for (const auto &[name, rebuilt] : producers_of(obj)) {
			auto it = units.find(name);
			if (it == units.end()) {
				info(rel + ": the target has no unit '" + name +
				     "' in its DWARF: not compared");
				continue;
			}
			if (without_graft_cc_flags(it->second) == without_graft_cc_flags(rebuilt))
				matched.insert(name);
			else
				differing[rel].emplace_back(name, rebuilt);
		}
	}
	for (const auto &[rel, diffs] : differing) {
		bool other_build = true;
		for (const auto &[name, rebuilt] : diffs)
			other_build = other_build && matched.count(name);
		// The same source compiled a second time with other flags, for another output:
		// libtool compiles every source of a library twice, with -fPIC -DPIC for the
		// shared library (.libs/NAME.o) and without for the static one (NAME.o). The
		// object built with the target's flags is the target's; this one is not.
		if (other_build) {
			info(rel + ": compiled with other flags than the target's '" +
			     diffs[0].first +
			     "', and another object of that source has the target's: built for "
			     "another output (a static library), left out");
			left_out.insert(rel);
			continue;
		}
		const auto &[name, rebuilt] = diffs[0];
		throw Refusal("compiler or flags differ from the target's: " + rel +
			      ": the target's '" + name + "' was compiled by '" + units[name] +
			      "' (DW_AT_producer), the " + "rebuild by '" + rebuilt +
			      "' (graft-cc's own -ffunction-sections "
			      "-fdata-sections -fno-common -fpatchable-function-entry aside): "
			      "build "
			      "with the same compiler and flags (CC, CFLAGS or --build), or the "
			      "rebuilt code is not the deployed code");
	}
	return left_out;
}

} // namespace graft::patchgen
