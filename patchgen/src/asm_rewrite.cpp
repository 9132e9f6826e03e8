// SPDX-License-Identifier: MIT
// asm_rewrite.cpp - the slot rewrite of a patched translation unit's assembly (see
// asm_rewrite.hpp and docs/patchgen.md, "How a module reaches the target").
#include "asm_rewrite.hpp"

#include "asm_syntax.hpp"
#include "common.hpp"

#include <sstream>

namespace graft::patchgen {

using namespace asmx;

namespace {

// Register moves of 32/64-bit destinations overwrite the whole register, so the
// destination can hold the slot's pointer first (libcare's trick). Partial-register
// loads (8/16-bit) preserve upper bits: they take the generic path.
bool whole_register_load(const std::string &m)
{
	for (const char *x : {"mov", "movl", "movq", "movzbl", "movzwl", "movsbl", "movswl",
			      "movslq", "movsbq", "movswq", "movzbq", "movzwq"})
		if (m == x)
			return true;
	return false;
}

bool tls_modifier(const std::string &mod)
{
	for (const char *x : {"tpoff", "gottpoff", "tlsgd", "tlsld", "dtpoff", "TPOFF", "GOTTPOFF",
			      "TLSGD", "TLSLD", "DTPOFF", "tlsdesc", "TLSDESC"})
		if (mod == x)
			return true;
	return false;
}

// SHF_GNU_RETAIN ("R", sanitizer constructors) would keep a section past
// --gc-sections: in the module nothing of the unit's is kept but what new code uses.
std::string without_retain(const std::string &raw)
{
	size_t q = raw.find(",\"");
	if (q == std::string::npos)
		return raw;
	size_t e = raw.find('"', q + 2);
	if (e == std::string::npos)
		return raw; // an unterminated flags string: the assembler will say so
	std::string flags = raw.substr(q + 2, e - q - 2), kept;
	for (char c : flags)
		if (c != 'R')
			kept.push_back(c);
	return raw.substr(0, q + 2) + kept + raw.substr(e);
}

// The first operand of a directive; empty when it has none (".size" alone).
std::string first_operand(const std::string &code, const std::string &word)
{
	std::vector<std::string> ops = split_operands(trim(code.substr(word.size())));
	return ops.empty() ? "" : ops[0];
}

std::string off_text(long long off)
{
	return off == 0 ? "" : std::to_string(off);
}

class Rewriter {
public:
	explicit Rewriter(const RewriteInput &in)
	    : in_(in)
	{
	}
	RewriteOutput run();

private:
	void line(const std::string &raw);
	void directive(const std::string &code, const std::string &raw);
	void instruction(const std::string &code, const std::string &raw);
	bool data_line(const std::string &code, const std::string &raw);
	void branch(const std::string &m, const std::string &op, const std::string &raw);
	void memory(const std::string &m, std::vector<std::string> ops, size_t at, const Mem &mem,
		    const std::string &raw);
	void got_operand(const std::string &m, std::vector<std::string> ops, size_t at,
			 const SymRef &ref, const Resolved &r, const std::string &raw);
	void segment_operand(const std::string &disp, const std::string &raw);
	void generic(const std::string &m, std::vector<std::string> ops, size_t at,
		     const std::string &ptr, long long off);
	std::string slot(const std::string &target);
	std::string stub(const std::string &target);
	[[noreturn]] void refuse(const std::string &why, const std::string &raw) const;
	void emit(const std::string &s) { out_ << s << "\n"; }
	void cfa_adjust(int by);
	std::string take_prefix();
	void emit_unchanged(const std::string &raw);

	const RewriteInput &in_;
	std::ostringstream out_;
	RewriteOutput res_;
	std::map<std::string, std::string> slots_, stubs_; // target -> label
	std::string func_, data_label_, section_;
	bool in_cfi_ = false, cfa_rsp_ = true, drop_section_ = false;
	std::vector<bool> cfa_stack_;
	std::string prefix_, body_; // the current instruction's prefixes; it without them
};

[[noreturn]] void Rewriter::refuse(const std::string &why, const std::string &raw) const
{
	throw Refusal("rewrite: " + in_.tu + ": function '" + func_ + "': " + why + " in `" +
		      trim(raw) + "`");
}

std::string Rewriter::slot(const std::string &target)
{
	auto it = slots_.find(target);
	if (it != slots_.end())
		return it->second;
	std::string label = "__graft_slot_" + in_.id + "_" + std::to_string(slots_.size());
	slots_[target] = label;
	res_.cells.push_back({label, target});
	return label;
}

std::string Rewriter::stub(const std::string &target)
{
	auto it = stubs_.find(target);
	if (it != stubs_.end())
		return it->second;
	std::string label = "__graft_stub_" + in_.id + "_" + std::to_string(stubs_.size());
	stubs_[target] = label;
	slot(target);
	return label;
}

void Rewriter::cfa_adjust(int by)
{
	if (in_cfi_ && cfa_rsp_)
		emit("\t.cfi_adjust_cfa_offset " + std::to_string(by));
}

std::string Rewriter::take_prefix()
{
	std::string p = prefix_.empty() ? "" : prefix_ + " ";
	prefix_.clear();
	return p;
}

void Rewriter::line(const std::string &raw)
{
	std::string code = trim(strip_comment(raw));
	if (auto label = label_of(code)) {
		if (func_.empty() && in_.funcs.count(*label))
			func_ = *label;
		data_label_ = func_.empty() ? *label : "";
		emit(raw);
		return;
	}
	if (!code.empty() && code[0] == '.') {
		directive(code, raw);
		return;
	}
	if (drop_section_)
		return;
	if (func_.empty() || code.empty()) {
		if (!data_label_.empty() && !code.empty() && data_line(code, raw))
			return;
		emit(raw);
		return;
	}
	instruction(code, raw);
}

void Rewriter::directive(const std::string &code, const std::string &raw)
{
	std::string word = code.substr(0, code.find_first_of(" \t"));
	if (word == ".section" || word == ".text" || word == ".data" || word == ".bss" ||
	    word == ".pushsection" || word == ".popsection" || word == ".previous") {
		section_ = word == ".section" ? trim(code.substr(8)) : word;
		// Start-up and exit code of the TU already ran (or will) in the target: the
		// module must not register its own copies. Patchable-entry records are
		// dropped too: they are for the target's functions, and the assembler merges
		// them into one section whose relocations would keep every function alive.
		drop_section_ = false;
		for (const char *s : {".init_array", ".fini_array", ".ctors", ".dtors",
				      ".preinit_array", "__patchable_function_entries"})
			drop_section_ = drop_section_ || section_.rfind(s, 0) == 0;
		if (drop_section_)
			return;
	} else if (drop_section_ && word != ".local" && word != ".comm" && word != ".lcomm") {
		return; // a local common is the unit's data wherever it is declared
	}
	if (word == ".cfi_startproc") {
		in_cfi_ = true;
		cfa_rsp_ = true;
	} else if (word == ".cfi_endproc") {
		in_cfi_ = false;
	} else if (word == ".cfi_def_cfa_register" || word == ".cfi_def_cfa") {
		std::string reg = first_operand(code, word);
		cfa_rsp_ = reg == "7" || reg == "%rsp";
	} else if (word == ".cfi_remember_state") {
		cfa_stack_.push_back(cfa_rsp_);
	} else if (word == ".cfi_restore_state" && !cfa_stack_.empty()) {
		cfa_rsp_ = cfa_stack_.back();
		cfa_stack_.pop_back();
	} else if (word == ".size" && !func_.empty()) {
		std::string name = first_operand(code, word);
		if (name == func_ || name == "\"" + func_ + "\"")
			func_.clear();
	}
	if (data_line(code, raw))
		return;
	if (word == ".section")
		emit(without_retain(raw));
	else
		emit(raw);
}

// Data directives after a label outside functions: a DW.ref cell pointing at a target
// symbol becomes a cell the runtime fills; new data must not hold target addresses.
bool Rewriter::data_line(const std::string &code, const std::string &raw)
{
	std::string word = code.substr(0, code.find_first_of(" \t"));
	bool pointer = word == ".quad" || word == ".8byte" || word == ".long" || word == ".4byte";
	if (!pointer || data_label_.empty())
		return false;
	bool unknown = false;
	auto ref = parse_symref(trim(code.substr(word.size())), &unknown);
	if (!ref || ref->sym.rfind(".L", 0) == 0)
		return false;
	// The typeinfo cells of exception tables: GCC's DW.ref.X, Clang's .LX.DW.stub.
	bool dwref = data_label_.rfind("DW.ref.", 0) == 0 ||
		     (data_label_.size() > 8 &&
		      data_label_.compare(data_label_.size() - 8, 8, ".DW.stub") == 0);
	if (!dwref && !in_.new_data.count(data_label_))
		return false;
	Resolved r = in_.classify(ref->sym, true);
	if (r.reach != Reach::Slot)
		return false;
	if (!dwref || word != ".quad" || ref->off != 0)
		throw Refusal("rewrite: " + in_.tu + ": new data '" + data_label_ +
			      "' is initialised with the address of the target's '" + ref->sym +
			      "'; not supported: set it in code instead (" + trim(raw) + ")");
	// A global label on the cell, so the descriptor can name it (Clang's is local).
	std::string cell = "__graft_cell_" + in_.id + "_" + std::to_string(res_.cells.size());
	res_.cells.push_back({cell, r.target});
	emit("\t.globl\t" + cell + "\n\t.hidden\t" + cell + "\n" + cell + ":");
	emit("\t.quad\t0\t# graft: filled with " + r.target);
	return true;
}

void Rewriter::instruction(const std::string &code, const std::string &raw)
{
	// Prefixes ("rep stosq", "lock xaddl", "rep; stosq", Clang's "lock" on a line of
	// its own) are collected in prefix_ and written once, before the instruction.
	std::string m, rest = code;
	for (;;) {
		size_t sp = rest.find_first_of(" \t;");
		m = rest.substr(0, sp);
		rest = sp == std::string::npos ? "" : trim(rest.substr(sp));
		if (!rest.empty() && rest[0] == ';')
			rest = trim(rest.substr(1));
		if (!is_prefix(m))
			break;
		prefix_ += (prefix_.empty() ? "" : " ") + m;
		if (rest.empty())
			return;
	}
	body_ = rest.empty() ? m : m + "\t" + rest;
	std::vector<std::string> ops = split_operands(rest);
	if (is_branch(m) && ops.size() == 1 && ops[0][0] != '*') {
		branch(m, ops[0], raw);
		return;
	}
	for (size_t i = 0; i < ops.size(); i++) {
		std::string op = ops[i][0] == '*' ? ops[i].substr(1) : ops[i];
		bool unknown = false;
		if (op[0] == '$') {
			if (parse_symref(op.substr(1), &unknown) || unknown)
				refuse("a symbolic immediate (non-PIC code: build with -fPIE or "
				       "-fPIC)",
				       raw);
			continue;
		}
		if (op[0] == '%' && op.find(':') != std::string::npos && op.back() != ')') {
			segment_operand(op.substr(op.find(':') + 1), raw);
			continue;
		}
		if (op[0] == '%')
			continue;
		auto mem = parse_mem(op);
		if (!mem) {
			if (parse_symref(op, &unknown) || unknown)
				refuse("an absolute symbolic operand (non-PIC code)", raw);
			continue;
		}
		auto ref = parse_symref(mem->disp, &unknown);
		if (unknown)
			refuse("a displacement expression this rewriter does not know", raw);
		if (!ref)
			continue;
		if (mem->regs != "%rip" && tls_modifier(ref->mod)) {
			memory(m, ops, i, *mem, raw); // local-dynamic TLS: @DTPOFF(%rax)
			return;
		}
		if (mem->regs != "%rip" && ref->sym.rfind(".L", 0) != 0)
			refuse("an absolute address of '" + ref->sym + "' (non-PIC code)", raw);
		if (mem->regs != "%rip")
			refuse("an absolute address of a local label (non-PIC code)", raw);
		memory(m, ops, i, *mem, raw);
		return;
	}
	emit_unchanged(raw);
}

// The instruction as it came, its prefixes written once.
void Rewriter::emit_unchanged(const std::string &raw)
{
	std::string p = take_prefix();
	emit(p.empty() && trim(strip_comment(raw)) == body_ ? raw : "\t" + p + body_);
}

// "%fs:SYM@tpoff": thread-local data, reachable only when it is not the target's.
void Rewriter::segment_operand(const std::string &disp, const std::string &raw)
{
	bool unknown = false;
	auto ref = parse_symref(disp, &unknown);
	if (unknown)
		refuse("a segment-relative expression this rewriter does not know", raw);
	if (!ref)
		return;
	if (!tls_modifier(ref->mod))
		refuse("a segment-relative symbolic operand", raw);
	if (in_.classify(ref->sym, false).reach == Reach::Slot)
		refuse("thread-local data of the target ('" + ref->sym +
			       "'); a live patch cannot reach the target's thread-locals",
		       raw);
}

void Rewriter::branch(const std::string &m, const std::string &op, const std::string &raw)
{
	bool unknown = false;
	auto ref = parse_symref(op, &unknown);
	if (unknown || (ref && ref->off != 0))
		refuse("a branch target this rewriter does not know", raw);
	std::string p = take_prefix();
	if (!ref || ref->sym.rfind(".L", 0) == 0 || (ref->mod != "" && ref->mod != "PLT")) {
		if (ref && ref->mod != "" && ref->mod != "PLT")
			refuse("a branch with @" + ref->mod, raw);
		emit(p.empty() ? raw : "\t" + p + m + "\t" + op);
		return;
	}
	Resolved r = in_.classify(ref->sym, false);
	if (r.reach == Reach::Slot)
		emit("\t" + p + m + "\t" + stub(r.target) + "\t# graft: " + ref->sym);
	else if (r.reach == Reach::Extern)
		emit("\t" + p + m + "\t" + op.substr(0, op.find('@')) + "@PLT");
	else
		emit("\t" + p + m + "\t" + op.substr(0, op.find('@')));
}

void Rewriter::memory(const std::string &m, std::vector<std::string> ops, size_t at, const Mem &mem,
		      const std::string &raw)
{
	bool unknown = false;
	SymRef ref = *parse_symref(mem.disp, &unknown);
	bool indirect = ops[at][0] == '*';
	if (ref.sym.rfind(".L", 0) == 0) {
		emit_unchanged(raw);
		return;
	}
	if (tls_modifier(ref.mod)) {
		if (in_.classify(ref.sym, false).reach == Reach::Slot)
			refuse("thread-local data of the target ('" + ref.sym +
				       "'); a live patch cannot reach the target's thread-locals",
			       raw);
		emit_unchanged(raw);
		return;
	}
	if (!mem.seg.empty())
		refuse("a segment-relative symbolic operand", raw);
	Resolved r = in_.classify(ref.sym, m.rfind("lea", 0) == 0);
	if (ref.mod == "GOTPCREL" || ref.mod == "GOTPCRELX") {
		got_operand(m, ops, at, ref, r, raw);
		return;
	}
	if (!ref.mod.empty())
		refuse("a RIP-relative operand with @" + ref.mod, raw);
	if (r.reach == Reach::Local) {
		emit_unchanged(raw);
		return;
	}
	std::string ptr =
		r.reach == Reach::Slot ? slot(r.target) + "(%rip)" : ref.sym + "@GOTPCREL(%rip)";
	std::string off = off_text(ref.off);
	if (indirect && is_branch(m) && prefix_.empty()) { // r11 is free at calls and jumps
		emit("\tmovq\t" + ptr + ", %r11");
		emit("\t" + m + "\t*" + off + "(%r11)");
		return;
	}
	std::string dst = ops.size() == 2 && at == 0 ? full_width(ops[1]) : "";
	if (m.rfind("lea", 0) == 0 && m != "leal" && !dst.empty() && prefix_.empty()) {
		emit("\tmovq\t" + ptr + ", " + dst);
		if (ref.off != 0)
			emit("\tleaq\t" + off + "(" + dst + "), " + dst);
		return;
	}
	if (whole_register_load(m) && !dst.empty() && prefix_.empty()) {
		emit("\tmovq\t" + ptr + ", " + dst);
		emit("\t" + m + "\t" + off + "(" + dst + "), " + ops[1]);
		return;
	}
	generic(m, ops, at, ptr, ref.off);
}

// "SYM@GOTPCREL(%rip)": for a target symbol, the slot is the GOT entry.
void Rewriter::got_operand(const std::string &m, std::vector<std::string> ops, size_t at,
			   const SymRef &ref, const Resolved &r, const std::string &raw)
{
	if (r.reach != Reach::Slot) {
		emit_unchanged(raw);
		return;
	}
	ops[at] = std::string(ops[at][0] == '*' ? "*" : "") + slot(r.target) + off_text(ref.off) +
		  "(%rip)";
	std::string joined;
	for (size_t i = 0; i < ops.size(); i++)
		joined += (i ? ", " : "") + ops[i];
	emit("\t" + take_prefix() + m + "\t" + joined);
}

// Any other form: borrow a scratch register below the red zone (leaf functions keep
// data there), point it at the symbol, run the instruction on it, restore. lea and
// push/pop leave the flags alone.
void Rewriter::generic(const std::string &m, std::vector<std::string> ops, size_t at,
		       const std::string &ptr, long long off)
{
	std::string all = m;
	for (const std::string &o : ops)
		all += " " + o;
	if (m.rfind("push", 0) == 0 || m.rfind("pop", 0) == 0 || mentions(all, "%rsp") ||
	    is_branch(m))
		refuse("an instruction that uses the stack pointer", all);
	std::string scratch = !mentions(all, "%r11")   ? "%r11"
			      : !mentions(all, "%r10") ? "%r10"
						       : "";
	if (scratch.empty())
		refuse("no free scratch register", all);
	ops[at] = std::string(ops[at][0] == '*' ? "*" : "") + off_text(off) + "(" + scratch + ")";
	std::string joined;
	for (size_t i = 0; i < ops.size(); i++)
		joined += (i ? ", " : "") + ops[i];
	emit("\tleaq\t-128(%rsp), %rsp");
	cfa_adjust(128);
	emit("\tpushq\t" + scratch);
	cfa_adjust(8);
	emit("\tmovq\t" + ptr + ", " + scratch);
	emit("\t" + take_prefix() + m + "\t" + joined);
	emit("\tpopq\t" + scratch);
	cfa_adjust(-8);
	emit("\tleaq\t128(%rsp), %rsp");
	cfa_adjust(-128);
}

RewriteOutput Rewriter::run()
{
	std::istringstream text(in_.text);
	std::string raw;
	while (std::getline(text, raw))
		line(raw);
	if (!func_.empty())
		throw Refusal("rewrite: " + in_.tu + ": function '" + func_ +
			      "' has no .size directive (unexpected assembly)");
	emit("\t.section\t.data.graft_slots_" + in_.id + ",\"aw\",@progbits");
	emit("\t.balign\t8");
	for (const Cell &c : res_.cells) {
		if (c.label.rfind("__graft_slot_", 0) != 0)
			continue;
		emit("\t.globl\t" + c.label + "\n\t.hidden\t" + c.label + "\n" + c.label +
		     ":\t# graft: " + c.target + "\n\t.quad\t0");
	}
	emit("\t.section\t.text.graft_stubs_" + in_.id + ",\"ax\",@progbits");
	for (const auto &[target, label] : stubs_)
		emit(label + ":\t# graft: " + target + "\n\t.cfi_startproc\n\tjmp\t*" +
		     slots_[target] + "(%rip)\n\t.cfi_endproc");
	size_t n = 0;
	for (const std::string &f : in_.aliased) {
		std::string label = "__graft_new_" + in_.id + "_" + std::to_string(n++);
		res_.alias[f] = label;
		emit("\t.globl\t" + label + "\n\t.hidden\t" + label + "\n\t.set\t" + label +
		     ", \"" + f + "\"");
	}
	res_.text = out_.str();
	return res_;
}

} // namespace

RewriteOutput rewrite_asm(const RewriteInput &in)
{
	return Rewriter(in).run();
}

} // namespace graft::patchgen
