// SPDX-License-Identifier: MIT
// entry_call.cpp - the call-target rule of the entry self-switch.
#include "transition/entry_call.hpp"

#include <cstring>

#include "transition/stack_check.hpp"

namespace graft::transition {
namespace {

// Set once at start-up (core/init.cpp), before any thread of ours runs.
EntrySwitch g_mode = EntrySwitch::call;

int32_t rd32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

// The pointer at cell holds fn (a GOT entry, a graft_sym cell, a function pointer).
bool cell_holds(const CheckSet &set, uintptr_t cell, uintptr_t fn)
{
	uintptr_t v = 0;
	return read_mapped(set, cell, &v, sizeof v) && v == fn;
}

} // namespace

CallBefore decode_call_before(const uint8_t before[7], uintptr_t ret)
{
	CallBefore c;
	// Longest form first: FF 15 disp32 is 6 bytes, and its disp32 may hold an E8 byte.
	if (before[1] == 0xff && before[2] == 0x15) {
		c.form = CallForm::via_cell;
		c.cell = ret + uintptr_t(intptr_t(rd32(before + 3)));
		return c;
	}
	if (before[2] == 0xe8) {
		c.form = CallForm::direct;
		c.target = ret + uintptr_t(intptr_t(rd32(before + 3)));
	}
	return c;
}

bool decode_plt_jump(const uint8_t code[16], uintptr_t at, uintptr_t *cell)
{
	size_t i = 0;
	static const uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	if (memcmp(code, kEndbr64, 4) == 0)
		i = 4;
	if (code[i] == 0xf2) // bnd (MPX) prefix, as in glibc-era .plt.sec entries
		i++;
	if (code[i] != 0xff || code[i + 1] != 0x25)
		return false;
	*cell = at + i + 6 + uintptr_t(intptr_t(rd32(code + i + 2)));
	return true;
}

bool arrived_by_call(const CheckSet &set, uintptr_t entry_sp, uintptr_t fn)
{
	uintptr_t ret = 0;
	uint8_t before[7];
	if (!read_mapped(set, entry_sp, &ret, sizeof ret) || ret < 7 ||
	    !read_mapped(set, ret - 7, before, sizeof before))
		return false;
	CallBefore c = decode_call_before(before, ret);
	if (c.form == CallForm::via_cell)
		return cell_holds(set, c.cell, fn);
	if (c.form != CallForm::direct)
		return false;
	uintptr_t through = 0;
	return c.target == fn || (plt_jump_target(set, c.target, &through) && through == fn);
}

bool plt_jump_target(const CheckSet &set, uintptr_t pc, uintptr_t *fn)
{
	uint8_t code[16];
	uintptr_t cell = 0;
	return read_mapped(set, pc, code, sizeof code) && decode_plt_jump(code, pc, &cell) &&
	       read_mapped(set, cell, fn, sizeof *fn);
}

void set_entry_switch(EntrySwitch mode)
{
	g_mode = mode;
}

EntrySwitch entry_switch()
{
	return g_mode;
}

} // namespace graft::transition
