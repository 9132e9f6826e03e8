// SPDX-License-Identifier: MIT
// asm_syntax.hpp - the pieces of GNU as (AT&T) syntax the rewriter needs: splitting a
// line into label / directive / instruction, operands, RIP-relative symbol operands and
// general-purpose register names. GCC and Clang output only.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace graft::patchgen::asmx {

std::string trim(const std::string &s);
// The line without its "# comment" (outside quotes).
std::string strip_comment(const std::string &line);
// "name:" at the start of a line -> name (quotes kept off); nullopt otherwise.
std::optional<std::string> label_of(const std::string &code);
// Splits operands at commas outside parentheses and quotes.
std::vector<std::string> split_operands(const std::string &ops);

// A symbolic displacement: SYM[@MOD][+-N...].
struct SymRef {
	std::string sym;
	std::string mod;   // "PLT", "GOTPCREL", "tpoff", ... or empty
	long long off = 0; // the constant part
};
// Parses "SYM", "SYM@MOD", "SYM+8", "SYM-4", "\"quoted\"+8"; nullopt if expr has no
// symbol or a form this parser does not know (then the caller refuses).
std::optional<SymRef> parse_symref(const std::string &expr, bool *unknown);

// A memory operand "[seg:]DISP(BASE[,INDEX[,SCALE]])" split up.
struct Mem {
	std::string seg, disp, regs; // regs: what is inside the parentheses
};
std::optional<Mem> parse_mem(const std::string &op);

// General-purpose registers: the 64-bit name of a 32/64-bit one ("%eax" -> "%rax",
// "%r9d" -> "%r9"); empty for anything else (8/16-bit, vector, %rsp/%esp).
std::string full_width(const std::string &reg);
// Whether text names any form of the register family of r64 ("%r11" covers %r11d...).
bool mentions(const std::string &text, const std::string &r64);

bool is_branch(const std::string &mnemonic);
bool is_prefix(const std::string &word);

} // namespace graft::patchgen::asmx
