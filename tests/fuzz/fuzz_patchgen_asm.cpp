// SPDX-License-Identifier: MIT
// fuzz_patchgen_asm.cpp - libFuzzer target: a compiler's assembly output (GCC/Clang -S,
// any bytes) through graft-patchgen's parsers: the slot rewrite (asm_rewrite.cpp, on the
// AT&T operand parsers of asm_syntax.cpp) and the top-level asm check (differ.cpp).
// The .s comes from a compiler the user chose, with flags the tool does not control:
// graft-patchgen must rewrite it or refuse with a Refusal that names the line; any other
// exception (a bare std::out_of_range says nothing to the user), a crash or a broken
// result is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>
#include <string>

#include "asm_rewrite.hpp"
#include "asm_syntax.hpp"
#include "common.hpp"
#include "differ.hpp"

namespace {

using namespace graft::patchgen;

void check(bool ok)
{
	if (!ok)
		std::abort(); // libFuzzer records the input as a crash
}

// The names the text declares with ".type NAME, @function" / "@object", as the differ
// would report changed functions and new data for them.
void find_declared(const std::string &text, std::set<std::string> *funcs,
		   std::set<std::string> *data)
{
	std::istringstream in(text);
	std::string raw;
	while (std::getline(in, raw)) {
		std::string code = asmx::trim(asmx::strip_comment(raw));
		if (code.rfind(".type", 0) != 0)
			continue;
		auto ops = asmx::split_operands(asmx::trim(code.substr(5)));
		if (ops.size() != 2)
			continue;
		if (ops[1] == "@function")
			funcs->insert(ops[0]);
		else if (ops[1] == "@object")
			data->insert(ops[0]);
	}
}

// Every symbol gets one of the three reaches, fixed by its name, so each path of the
// rewrite is taken by some input.
Resolved classify(const std::string &sym, bool)
{
	switch (std::hash<std::string>{}(sym) % 3) {
	case 0:
		return {Reach::Slot, sym};
	case 1:
		return {Reach::Extern, ""};
	default:
		return {Reach::Local, ""};
	}
}

bool has(const std::string &text, const std::string &s)
{
	return text.find(s) != std::string::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	// The same assembly twice has the same top-level asm: never a refusal.
	check_toplevel_asm(text, text, "fuzz.c");

	RewriteInput in{text, "fuzz.c", "7", {}, {}, {}, classify};
	find_declared(text, &in.funcs, &in.new_data);
	in.aliased = in.funcs;
	RewriteOutput out;
	try {
		out = rewrite_asm(in);
	} catch (const Refusal &r) {
		check(has(r.what(), "fuzz.c")); // a refusal names the unit
		return 0;
	}
	// Every cell the runtime is to fill is defined in the text the assembler gets, and
	// names the target symbol; every replaced function has its alias.
	for (const Cell &c : out.cells)
		check(!c.target.empty() && has(out.text, "\n" + c.label + ":"));
	check(out.alias.size() == in.aliased.size());
	for (const auto &[func, label] : out.alias)
		check(in.aliased.count(func) && has(out.text, "\t.set\t" + label + ", \""));
	return 0;
}
