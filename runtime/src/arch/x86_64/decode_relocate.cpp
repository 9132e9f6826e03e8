// SPDX-License-Identifier: MIT
// decode_relocate.cpp - Zydis analysis of a detour site's prologue (what may be
// overwritten, what must be refused) and its relocation into a trampoline.
#include <Zydis/Zydis.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "arch/x86_64/site_impl.hpp"

namespace graft::arch::detail {
namespace {

constexpr uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
constexpr size_t kJmpLen = 5;

struct Decoded {
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

const ZydisDecoder &decoder()
{
	static const ZydisDecoder dec = [] {
		ZydisDecoder d;
		ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		return d;
	}();
	return dec;
}

bool decode(uintptr_t addr, size_t avail, Decoded *d)
{
	return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder(), reinterpret_cast<const void *>(addr),
						   avail, &d->insn, d->ops));
}

bool fail(std::string *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool fail(std::string *why, const char *fmt, ...)
{
	if (why) {
		char buf[320];
		va_list ap;
		va_start(ap, fmt);
		std::vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		*why = buf;
	}
	return false;
}

const char *mnem(const Decoded &d)
{
	const char *s = ZydisMnemonicGetString(d.insn.mnemonic);
	return s ? s : "?";
}

// Target of a relative branch (jmp/jcc/call/loop/jrcxz/xbegin), 0 if none.
uintptr_t branch_target(const Decoded &d, uintptr_t ip)
{
	for (unsigned i = 0; i < d.insn.operand_count_visible; ++i) {
		const ZydisDecodedOperand &op = d.ops[i];
		if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op.imm.is_relative) {
			ZyanU64 abs = 0;
			if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&d.insn, &op, ip, &abs)))
				return uintptr_t(abs);
		}
	}
	return 0;
}

// The RIP-relative memory operand, or null.
const ZydisDecodedOperand *rip_operand(const Decoded &d)
{
	for (unsigned i = 0; i < d.insn.operand_count_visible; ++i)
		if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    d.ops[i].mem.base == ZYDIS_REGISTER_RIP)
			return &d.ops[i];
	return nullptr;
}

bool is_jcc(const Decoded &d)
{
	uint8_t op = d.insn.opcode;
	return d.insn.meta.category == ZYDIS_CATEGORY_COND_BR &&
	       ((d.insn.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && op >= 0x70 && op <= 0x7f) ||
		(d.insn.opcode_map == ZYDIS_OPCODE_MAP_0F && op >= 0x80 && op <= 0x8f));
}

bool is_rel_jmp(const Decoded &d)
{
	return d.insn.mnemonic == ZYDIS_MNEMONIC_JMP &&
	       d.insn.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	       (d.insn.opcode == 0xeb || d.insn.opcode == 0xe9);
}

// A call we can turn into push(original return) + jmp(callee): rel32, [rip+x] or a register.
bool is_relocatable_call(const Decoded &d)
{
	if (d.insn.mnemonic != ZYDIS_MNEMONIC_CALL)
		return false;
	const ZydisDecodedOperand &op = d.ops[0];
	return (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op.imm.is_relative) ||
	       (op.type == ZYDIS_OPERAND_TYPE_REGISTER && op.size == 64) ||
	       (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.base == ZYDIS_REGISTER_RIP &&
		op.mem.index == ZYDIS_REGISTER_NONE);
}

// Why the instruction at +off of the range cannot be relocated (false), or true.
bool check_range_insn(const Decoded &d, const char *name, unsigned off, std::string *why)
{
	switch (d.insn.meta.category) {
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_INTERRUPT:
		return fail(why, "function '%s' has '%s' at +%#x in the bytes to overwrite", name,
			    mnem(d), off);
	default:
		break;
	}
	if (d.insn.mnemonic == ZYDIS_MNEMONIC_CALL)
		return is_relocatable_call(d) ||
		       fail(why, "function '%s': cannot relocate the call at +%#x (memory operand)",
			    name, off);
	bool relative = d.insn.attributes & ZYDIS_ATTRIB_IS_RELATIVE;
	if (relative && !rip_operand(d) && !is_jcc(d) && !is_rel_jmp(d))
		return fail(why, "function '%s': cannot relocate '%s' at +%#x", name, mnem(d), off);
	if (d.insn.mnemonic == ZYDIS_MNEMONIC_INVALID ||
	    d.insn.meta.category == ZYDIS_CATEGORY_SYSTEM)
		return fail(why, "function '%s': will not relocate '%s' at +%#x", name, mnem(d),
			    off);
	return true;
}

// Every relative branch of the function outside the range must not land strictly inside it.
bool scan_branches(uintptr_t entry, size_t size, const Prologue &p, const char *name,
		   std::string *why)
{
	uintptr_t lo = p.patch_at, hi = p.patch_at + p.range_len;
	for (uintptr_t ip = entry; ip < entry + size;) {
		Decoded d;
		if (!decode(ip, entry + size - ip, &d)) {
			if (*reinterpret_cast<const uint8_t *>(ip) == 0xcc) { // int3 fill
				++ip;
				continue;
			}
			return fail(why,
				    "function '%s': cannot decode the instruction at +%#lx (branch "
				    "check)",
				    name, static_cast<unsigned long>(ip - entry));
		}
		uintptr_t t = branch_target(d, ip);
		bool from_range = ip >= lo && ip < hi; // relocated with the range: remapped
		if (t > lo && t < hi && !from_range)
			return fail(why,
				    "function '%s' has a branch at +%#lx into the bytes to "
				    "overwrite (target +%#lx)",
				    name, static_cast<unsigned long>(ip - entry),
				    static_cast<unsigned long>(t - entry));
		ip += d.insn.length;
	}
	return true;
}

} // namespace

bool analyse_prologue(uintptr_t entry, size_t size, const char *name, Prologue *out,
		      std::string *why)
{
	*out = Prologue{};
	if (size == 0)
		return fail(why,
			    "size of function '%s' is unknown: cannot check branches into its "
			    "first bytes",
			    name);
	auto *bytes = reinterpret_cast<const uint8_t *>(entry);
	// Keep an endbr64 in place: indirect callers under IBT need it at the entry, and it is
	// a whole instruction, so nothing can stop inside it. The jump goes right after it.
	out->endbr = size >= 4 && std::memcmp(bytes, kEndbr64, 4) == 0;
	out->patch_at = entry + (out->endbr ? 4 : 0);
	size_t avail = entry + size - out->patch_at;
	if (avail < kJmpLen)
		return fail(why, "function '%s' is too short to patch (%zu bytes)", name, size);
	unsigned off = 0;
	while (off < kJmpLen) {
		Decoded d;
		if (off >= avail || !decode(out->patch_at + off, avail - off, &d))
			return off >= avail
				       ? fail(why,
					      "function '%s' is too short to patch (%zu bytes)",
					      name, size)
				       : fail(why,
					      "function '%s': cannot decode the instruction at "
					      "+%#x",
					      name, unsigned(out->patch_at - entry + off));
		if (!check_range_insn(d, name, unsigned(out->patch_at - entry + off), why))
			return false;
		if (d.insn.mnemonic == ZYDIS_MNEMONIC_CALL && off + d.insn.length < kJmpLen)
			return fail(why,
				    "function '%s' has a call at +%#x that does not end the bytes "
				    "to overwrite "
				    "(its return address would lie in them)",
				    name, unsigned(out->patch_at - entry + off));
		if (out->n_insns == kMaxInsns)
			return fail(why, "function '%s': too many instructions in its first bytes",
				    name);
		out->insn_off[out->n_insns++] = uint8_t(off);
		off += d.insn.length;
	}
	if (off > avail)
		return fail(why, "function '%s' is too short to patch (%zu bytes)", name, size);
	out->range_len = uint8_t(off);
	return scan_branches(entry, size, *out, name, why);
}

namespace {

enum class Kind : uint8_t { copy, rip_rel, jmp, jcc, call };

struct Plan {
	Decoded d;
	uintptr_t ip; // original address
	Kind kind;
	unsigned pos;	  // offset in the trampoline
	unsigned out_len; // bytes emitted
};

void put32(uint8_t *p, int32_t v)
{
	std::memcpy(p, &v, 4);
}
void put64(uint8_t *p, uint64_t v)
{
	std::memcpy(p, &v, 8);
}

bool rel32(uintptr_t target, uintptr_t next_ip, int32_t *out)
{
	int64_t delta = int64_t(target - next_ip);
	if (delta < INT32_MIN || delta > INT32_MAX)
		return false;
	*out = int32_t(delta);
	return true;
}

Kind classify(const Decoded &d)
{
	if (d.insn.mnemonic == ZYDIS_MNEMONIC_CALL)
		return Kind::call;
	if (is_rel_jmp(d))
		return Kind::jmp;
	if (is_jcc(d))
		return Kind::jcc;
	return rip_operand(d) ? Kind::rip_rel : Kind::copy;
}

unsigned planned_len(const Plan &pl)
{
	switch (pl.kind) {
	case Kind::jmp:
		return 5;
	case Kind::jcc:
		return 6;
	case Kind::call: // push [rip+a]; jmp [rip+b] / jmp reg (REX.B for r8-r15)
		if (pl.d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER)
			return 6 + (ZydisRegisterGetId(pl.d.ops[0].reg.value) >= 8 ? 3 : 2);
		return 12;
	default:
		return pl.d.insn.length;
	}
}

// The trampoline address for an original branch target: a copied instruction if the
// target is one in the range, else the original address.
bool map_target(const Prologue &p, const Plan *plans, uintptr_t at, uintptr_t target,
		uintptr_t *out)
{
	if (target < p.patch_at || target >= p.patch_at + p.range_len) {
		*out = target;
		return true;
	}
	for (unsigned i = 0; i < p.n_insns; ++i)
		if (plans[i].ip == target) {
			*out = at + plans[i].pos;
			return true;
		}
	return false; // into the middle of an instruction
}

// Emission context of one trampoline.
struct Emit {
	const Prologue &p;
	const char *name;
	uintptr_t at; // the trampoline's address
	uint8_t *buf;
	const Plan *plans;
	unsigned lit; // offset of the two literals (return address, callee)
	std::string *why;
};

bool emit_rip_rel(const Emit &e, const Plan &pl, unsigned src_off)
{
	uint8_t *o = e.buf + pl.pos;
	ZyanU64 abs = 0;
	ZydisCalcAbsoluteAddress(&pl.d.insn, rip_operand(pl.d), pl.ip, &abs);
	std::memcpy(o, reinterpret_cast<const void *>(pl.ip), pl.out_len);
	int32_t r = 0;
	if (pl.d.insn.raw.disp.size != 32 || !rel32(uintptr_t(abs), e.at + pl.pos + pl.out_len, &r))
		return fail(e.why,
			    "function '%s': the RIP-relative operand at +%#x cannot reach its "
			    "target from the trampoline",
			    e.name, src_off);
	put32(o + pl.d.insn.raw.disp.offset, r);
	return true;
}

// jmp rel8/rel32 -> jmp rel32, jcc rel8/rel32 -> jcc rel32, to the copy of an instruction
// of the range or to the original target.
bool emit_branch(const Emit &e, const Plan &pl, unsigned src_off)
{
	uint8_t *o = e.buf + pl.pos;
	uintptr_t target = 0;
	int32_t r = 0;
	if (!map_target(e.p, e.plans, e.at, branch_target(pl.d, pl.ip), &target))
		return fail(e.why, "function '%s': the branch at +%#x lands inside an instruction",
			    e.name, src_off);
	if (!rel32(target, e.at + pl.pos + pl.out_len, &r))
		return fail(e.why,
			    "function '%s': the branch at +%#x cannot reach its target from the "
			    "trampoline",
			    e.name, src_off);
	if (pl.kind == Kind::jmp) {
		o[0] = 0xe9;
		put32(o + 1, r);
	} else {
		o[0] = 0x0f;
		o[1] = uint8_t(0x80 | (pl.d.insn.opcode & 0x0f));
		put32(o + 2, r);
	}
	return true;
}

// The final call: push qword [rip+lit] (the ORIGINAL return address, so the callee
// returns into the untouched original body and unwinders see the real function), then
// jmp to the callee: jmp qword [rip+lit+8], jmp qword [rip+x'] or jmp reg.
bool emit_call(const Emit &e, const Plan &pl, unsigned src_off)
{
	uint8_t *o = e.buf + pl.pos;
	o[0] = 0xff, o[1] = 0x35;
	put32(o + 2, int32_t(e.lit - (pl.pos + 6)));
	put64(e.buf + e.lit, pl.ip + pl.d.insn.length);
	const ZydisDecodedOperand &op = pl.d.ops[0];
	uint8_t *j = o + 6;
	unsigned jpos = pl.pos + 6;
	if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
		unsigned id = ZydisRegisterGetId(op.reg.value);
		if (id >= 8)
			*j++ = 0x41; // REX.B
		j[0] = 0xff, j[1] = uint8_t(0xe0 | (id & 7));
		return true;
	}
	j[0] = 0xff, j[1] = 0x25;
	if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		put64(e.buf + e.lit + 8, branch_target(pl.d, pl.ip));
		put32(j + 2, int32_t(e.lit + 8 - (jpos + 6)));
		return true;
	}
	ZyanU64 abs = 0;
	int32_t r = 0;
	ZydisCalcAbsoluteAddress(&pl.d.insn, &op, pl.ip, &abs);
	if (!rel32(uintptr_t(abs), e.at + jpos + 6, &r))
		return fail(e.why,
			    "function '%s': the call at +%#x cannot reach its pointer from the "
			    "trampoline",
			    e.name, src_off);
	put32(j + 2, r);
	return true;
}

bool emit_insn(const Emit &e, const Plan &pl)
{
	unsigned src_off = unsigned(pl.ip - (e.p.patch_at - (e.p.endbr ? 4 : 0)));
	switch (pl.kind) {
	case Kind::copy:
		std::memcpy(e.buf + pl.pos, reinterpret_cast<const void *>(pl.ip), pl.out_len);
		return true;
	case Kind::rip_rel:
		return emit_rip_rel(e, pl, src_off);
	case Kind::jmp:
	case Kind::jcc:
		return emit_branch(e, pl, src_off);
	case Kind::call:
		return emit_call(e, pl, src_off);
	}
	return false;
}

// Positions of the copies: each instruction's emitted length is known before emitting,
// so forward branches inside the range can be mapped.
unsigned plan(const Prologue &p, Plan *plans)
{
	unsigned pos = sizeof kEndbr64; // reached through jmp *slot: an IBT landing pad
	for (unsigned i = 0; i < p.n_insns; ++i) {
		Plan &pl = plans[i];
		pl.ip = p.patch_at + p.insn_off[i];
		decode(pl.ip, p.range_len - p.insn_off[i], &pl.d); // analysed before: succeeds
		pl.kind = classify(pl.d);
		pl.pos = pos;
		pl.out_len = planned_len(pl);
		pos += pl.out_len;
	}
	return pos;
}

} // namespace

size_t relocated_call_returns(const Prologue &p, uintptr_t *out, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; i < p.n_insns && n < cap; ++i) {
		Decoded d;
		uintptr_t ip = p.patch_at + p.insn_off[i];
		if (decode(ip, p.range_len - p.insn_off[i], &d) && classify(d) == Kind::call)
			out[n++] = ip + d.insn.length;
	}
	return n;
}

size_t emit_trampoline(const Prologue &p, const char *name, uintptr_t at, uint8_t *buf, size_t cap,
		       OffsetPair *map, uint8_t *n_map, std::string *why)
{
	Plan plans[kMaxInsns];
	unsigned pos = plan(p, plans);
	bool ends_in_call = plans[p.n_insns - 1].kind == Kind::call;
	unsigned lit = (pos + (ends_in_call ? 0 : 5) + 7) & ~7u;
	if (lit + 16 > cap)
		return fail(why, "function '%s': trampoline too large", name), 0;
	std::memset(buf, 0xcc, cap);
	std::memcpy(buf, kEndbr64, sizeof kEndbr64);
	Emit e{p, name, at, buf, plans, lit, why};
	for (unsigned i = 0; i < p.n_insns; ++i) {
		map[i] = OffsetPair{p.insn_off[i], uint8_t(plans[i].pos)};
		if (!emit_insn(e, plans[i]))
			return 0;
	}
	*n_map = p.n_insns;
	if (!ends_in_call) { // back to the first byte after the range in the original
		int32_t r = 0;
		if (!rel32(p.patch_at + p.range_len, at + pos + 5, &r))
			return fail(why,
				    "function '%s': the trampoline cannot jump back to the "
				    "function",
				    name),
			       0;
		buf[pos] = 0xe9;
		put32(buf + pos + 1, r);
	}
	return lit + 16;
}

} // namespace graft::arch::detail
