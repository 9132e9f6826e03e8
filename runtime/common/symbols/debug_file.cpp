// SPDX-License-Identifier: MIT
// debug_file.cpp - a stripped file's symbols from its separate debug file, found the way
// gdb finds it (build-id first, then .gnu_debuglink): distributions ship binaries
// stripped and their .symtab in /usr/lib/debug (Debian's -dbgsym packages).
#include "symbols/symbols.hpp"

#include <string>
#include <vector>

namespace graft::symbols {

namespace {

std::string dir_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::vector<std::string> candidates(const SymbolTable &stripped, const std::string &path,
				    const std::vector<std::string> &debug_dirs)
{
	std::vector<std::string> out;
	const std::string &id = stripped.build_id();
	if (id.size() > 2)
		for (const std::string &d : debug_dirs)
			out.push_back(d + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) +
				      ".debug");
	const std::string &link = stripped.debuglink();
	if (!link.empty() && link.find('/') == std::string::npos) {
		std::string dir = dir_of(path);
		out.push_back(dir + "/" + link);
		out.push_back(dir + "/.debug/" + link);
		for (const std::string &d : debug_dirs)
			out.push_back(d + dir + "/" + link);
	}
	return out;
}

} // namespace

const std::vector<std::string> &SymbolTable::default_debug_dirs()
{
	static const std::vector<std::string> dirs{"/usr/lib/debug"};
	return dirs;
}

std::shared_ptr<SymbolTable>
SymbolTable::open_with_debug(const std::string &file, const std::string &path,
			     const std::vector<std::string> &debug_dirs, std::string *err,
			     std::string *used)
{
	std::shared_ptr<SymbolTable> table = open(file, err);
	if (used)
		*used = file;
	if (!table || table->has_symtab())
		return table;
	try {
		for (const std::string &c : candidates(*table, path, debug_dirs)) {
			std::string ignored;
			std::shared_ptr<SymbolTable> debug = open(c, &ignored);
			// A debug file of another build (an older -dbgsym left behind) would give
			// wrong addresses: the build-id must be the one of the code that runs.
			// No build-id: nothing proves the file matches; not used.
			if (!debug || !debug->has_symtab() || table->build_id().empty() ||
			    debug->build_id() != table->build_id())
				continue;
			if (used)
				*used = c;
			return debug;
		}
	} catch (...) {
		// Out of memory while naming candidates: the stripped table, as if none exists.
	}
	return table;
}

} // namespace graft::symbols
