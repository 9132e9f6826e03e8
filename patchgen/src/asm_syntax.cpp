// SPDX-License-Identifier: MIT
// asm_syntax.cpp - small, strict parsers for AT&T operands as GCC and Clang print them.
#include "asm_syntax.hpp"

#include <cctype>
#include <map>

namespace graft::patchgen::asmx {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t");
	if (b == std::string::npos)
		return "";
	size_t e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

std::string strip_comment(const std::string &line)
{
	bool quoted = false;
	for (size_t i = 0; i < line.size(); i++) {
		if (line[i] == '"' && (i == 0 || line[i - 1] != '\\'))
			quoted = !quoted;
		else if (line[i] == '#' && !quoted)
			return line.substr(0, i);
	}
	return line;
}

namespace {

bool sym_start(char c)
{
	return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$';
}
bool sym_char(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$';
}

// Reads a symbol name at s[i] (plain or quoted); empty if none.
std::string read_symbol(const std::string &s, size_t &i)
{
	if (i < s.size() && s[i] == '"') {
		size_t e = s.find('"', i + 1);
		if (e == std::string::npos)
			return "";
		std::string name = s.substr(i + 1, e - i - 1);
		i = e + 1;
		return name;
	}
	if (i >= s.size() || !sym_start(s[i]))
		return "";
	size_t b = i;
	while (i < s.size() && sym_char(s[i]))
		i++;
	return s.substr(b, i - b);
}

bool read_number(const std::string &s, size_t &i, long long *v)
{
	size_t used = 0;
	try {
		*v = std::stoll(s.substr(i), &used, 0);
	} catch (...) {
		return false;
	}
	i += used;
	return used > 0;
}

} // namespace

std::optional<std::string> label_of(const std::string &code)
{
	size_t i = 0;
	std::string name = read_symbol(code, i);
	if (name.empty() || i >= code.size() || code[i] != ':')
		return std::nullopt;
	if (trim(code.substr(i + 1)).empty())
		return name;
	return std::nullopt;
}

std::vector<std::string> split_operands(const std::string &ops)
{
	std::vector<std::string> out;
	int depth = 0;
	bool quoted = false;
	std::string cur;
	for (char c : ops) {
		if (c == '"')
			quoted = !quoted;
		if (!quoted && c == '(')
			depth++;
		if (!quoted && c == ')')
			depth--;
		if (!quoted && depth == 0 && c == ',') {
			out.push_back(trim(cur));
			cur.clear();
		} else {
			cur.push_back(c);
		}
	}
	if (!trim(cur).empty())
		out.push_back(trim(cur));
	return out;
}

std::optional<SymRef> parse_symref(const std::string &expr_in, bool *unknown)
{
	std::string expr = trim(expr_in);
	*unknown = false;
	SymRef ref;
	size_t i = 0;
	long long lead = 0;
	// "8+sym" is rare but legal: a leading constant.
	if (i < expr.size() &&
	    (std::isdigit(static_cast<unsigned char>(expr[i])) || expr[i] == '-')) {
		size_t save = i;
		if (!read_number(expr, i, &lead))
			return std::nullopt;
		if (i == expr.size())
			return std::nullopt; // a plain number
		if (expr[i] != '+') {
			*unknown = true;
			return std::nullopt;
		}
		i++;
		(void)save;
	}
	ref.sym = read_symbol(expr, i);
	if (ref.sym.empty()) {
		*unknown = lead != 0 || !expr.empty();
		return std::nullopt;
	}
	if (i < expr.size() && expr[i] == '@') {
		i++;
		while (i < expr.size() && std::isalnum(static_cast<unsigned char>(expr[i])))
			ref.mod.push_back(expr[i++]);
	}
	ref.off = lead;
	while (i < expr.size()) {
		char sign = expr[i];
		long long v;
		i++;
		if ((sign != '+' && sign != '-') || !read_number(expr, i, &v)) {
			*unknown = true;
			return std::nullopt;
		}
		// An offset past 64 bits is not one the compiler wrote: refused, not wrapped.
		if (sign == '+' ? __builtin_add_overflow(ref.off, v, &ref.off)
				: __builtin_sub_overflow(ref.off, v, &ref.off)) {
			*unknown = true;
			return std::nullopt;
		}
	}
	return ref;
}

std::optional<Mem> parse_mem(const std::string &op)
{
	if (op.empty() || op.back() != ')')
		return std::nullopt;
	size_t open = op.rfind('(');
	if (open == std::string::npos)
		return std::nullopt;
	Mem m;
	m.regs = op.substr(open + 1, op.size() - open - 2);
	std::string head = op.substr(0, open);
	size_t colon = head.find(':');
	if (colon != std::string::npos && head[0] == '%') {
		m.seg = head.substr(0, colon);
		head = head.substr(colon + 1);
	}
	m.disp = head;
	return m;
}

std::string full_width(const std::string &reg)
{
	static const std::map<std::string, std::string> map = {
		{"%rax", "%rax"}, {"%rbx", "%rbx"}, {"%rcx", "%rcx"}, {"%rdx", "%rdx"},
		{"%rsi", "%rsi"}, {"%rdi", "%rdi"}, {"%rbp", "%rbp"}, {"%eax", "%rax"},
		{"%ebx", "%rbx"}, {"%ecx", "%rcx"}, {"%edx", "%rdx"}, {"%esi", "%rsi"},
		{"%edi", "%rdi"}, {"%ebp", "%rbp"}};
	auto it = map.find(reg);
	if (it != map.end())
		return it->second;
	for (int n = 8; n <= 15; n++) {
		std::string r = "%r" + std::to_string(n);
		if (reg == r || reg == r + "d")
			return r;
	}
	return "";
}

bool mentions(const std::string &text, const std::string &r64)
{
	static const std::map<std::string, std::vector<std::string>> legacy = {
		{"%r11", {"%r11"}}, {"%r10", {"%r10"}}, {"%rsp", {"%rsp", "%esp", "%sp", "%spl"}}};
	auto it = legacy.find(r64);
	for (const std::string &form :
	     it == legacy.end() ? std::vector<std::string>{r64} : it->second)
		if (text.find(form) != std::string::npos)
			return true;
	return false;
}

bool is_branch(const std::string &m)
{
	return m[0] == 'j' || m.rfind("call", 0) == 0;
}

bool is_prefix(const std::string &w)
{
	for (const char *p :
	     {"lock", "rep", "repe", "repz", "repne", "repnz", "notrack", "data16", "rex64", "bnd"})
		if (w == p)
			return true;
	return false;
}

} // namespace graft::patchgen::asmx
