// SPDX-License-Identifier: MIT
// target.hpp - the deployed target (executable or shared library): its .symtab, which
// of its symbols a symbol of an original object is, that symbol's old_sympos (computed
// by the runtime's own symbols::SymbolTable, so both sides share one rule), build-id.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graft::symbols {
class SymbolTable;
}

namespace graft::patchgen {

struct TargetSymbol {
	std::string name;
	uint64_t value = 0, size = 0;
	unsigned type = 0, bind = 0;
	bool defined = false;
	std::string file; // the STT_FILE entry before it (locals of one object follow it)
};

struct Located {
	unsigned long sympos = 0;
	uint64_t value = 0, size = 0;
	bool is_func = false;
};

class Target {
public:
	// debug_file: the stripped target's separate debug file as given (--debug-file);
	// empty: found by build-id in debug_dirs or by .gnu_debuglink, as the runtime does.
	static Target open(const std::string &path, const std::string &debug_file = "",
			   const std::vector<std::string> &debug_dirs = {});

	std::string path;
	// The file .symtab (and the DWARF, when it has any) is read from: path, or its
	// separate debug file.
	std::string symbols_path;
	std::string object_name; // graft_object.name: empty for the main executable
	std::string build_id;
	// Built through graft-cc (it has patchable function entries); false: built
	// normally, then graft-patchgen rebuilds the original in a scratch copy of the tree.
	bool graft_ready = false;

	// The target's symbol that (name, local, file) of an original object became;
	// nullopt if the target has no such symbol (inlined or dropped). Refuses when
	// several fit and nothing tells them apart.
	std::optional<Located> locate(const std::string &name, bool local,
				      const std::string &file) const;
	// Whether the target defines name as a global (non-local) symbol.
	bool defines_global(const std::string &name) const;
	// Whether it defines name as a global the link made LOCAL (hidden or internal
	// visibility, -fvisibility=hidden): a local after an STT_FILE with an empty name.
	bool defines_hidden(const std::string &name) const;
	// The target's bytes at [value, value + size) of its code (executable sections, read
	// from path: a debug file has none); empty when not all there.
	std::vector<uint8_t> code(uint64_t value, uint64_t size) const;
	// Checks (name, sympos) resolves as the runtime will resolve it, to value.
	bool resolves(const std::string &name, unsigned long sympos, uint64_t value,
		      std::string *err) const;

private:
	std::vector<TargetSymbol> syms_;
	std::vector<std::pair<uint64_t, std::vector<uint8_t>>> code_; // address, bytes
	std::shared_ptr<symbols::SymbolTable> table_;
	unsigned long sympos_of(const std::string &name, uint64_t value) const;
};

} // namespace graft::patchgen
