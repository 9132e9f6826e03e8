// SPDX-License-Identifier: MIT
// asm_rewrite.hpp - rewrites the assembly of a patched translation unit so that the
// changed and new functions reach the target's own symbols only through graft_sym
// cells ("slots"): direct calls go through a stub `jmp *slot(%rip)`, every RIP-relative
// operand is turned into an access through the slot. The assembler then encodes, lays
// out and emits unwind tables from the kept .cfi directives. Anything not understood is
// refused, never guessed.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace graft::patchgen {

// How a symbol used by the included code is reached.
enum class Reach {
	Local,	// defined in the module itself (new/changed code, new data, temporaries)
	Slot,	// the target's symbol: through a graft_sym cell
	Extern, // another library's symbol: the dynamic linker's GOT/PLT
};

struct Resolved {
	Reach reach = Reach::Local;
	std::string target; // Slot: the target symbol's name
};

// Decides how sym is reached; address_taken: its address is computed (lea), not
// called or read through.
using Classifier = std::function<Resolved(const std::string &sym, bool address_taken)>;

struct RewriteInput {
	std::string text;		// the patched assembly
	std::string tu;			// for messages ("main.c")
	std::string id;			// unique per translation unit, for generated labels
	std::set<std::string> funcs;	// labels whose bodies are rewritten (with .cold parts)
	std::set<std::string> aliased;	// functions that get a __graft_new_<id>_<n> alias
	std::set<std::string> new_data; // labels of new objects (their initialisers checked)
	Classifier classify;
};

struct Cell {
	std::string label;  // the 8-byte cell the runtime fills
	std::string target; // the target symbol whose address goes there
};

struct RewriteOutput {
	std::string text;
	std::vector<Cell> cells;		  // slots and DW.ref cells to fill
	std::map<std::string, std::string> alias; // function -> its __graft_new label
};

RewriteOutput rewrite_asm(const RewriteInput &in);

} // namespace graft::patchgen
