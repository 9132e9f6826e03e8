// SPDX-License-Identifier: MIT
// entry_call.hpp - did a thread at a function's entry arrive by a call to that very
// function? The rule that decides whether the entry self-switch may happen (see
// docs/architecture.md, "Switch points"): a return address after a `call` whose target
// is the function (directly, through a PLT entry, or through a pointer cell that holds
// the function) shows that the thread's state equals the one it had at that call
// instruction, in the caller. A thread that reached the entry by a sibling call (`jmp`)
// is logically still inside the function that jumped, whose frame is gone.
#pragma once

#include <cstddef>
#include <cstdint>

namespace graft::transition {

struct CheckSet;

// What the 7 bytes before a return address decode to.
enum class CallForm {
	none,	  // not a call this rule reads (a register or other memory operand, or data)
	direct,	  // E8 rel32: target is the callee (maybe a PLT entry)
	via_cell, // FF 15 disp32 (call *[rip+disp32]): cell is the pointer it loaded
};

struct CallBefore {
	CallForm form = CallForm::none;
	uintptr_t target = 0; // direct: the call's destination
	uintptr_t cell = 0;   // via_cell: the address of the pointer
};

// Decodes the call ending at ret, given the 7 bytes before it (before[0] is ret - 7).
CallBefore decode_call_before(const uint8_t before[7], uintptr_t ret);

// When the code at `at` (16 bytes given) is a PLT-style entry, `[endbr64] [bnd] jmp
// *[rip+disp32]`, stores the address of its pointer cell and returns true.
bool decode_plt_jump(const uint8_t code[16], uintptr_t at, uintptr_t *cell);

// When the thread at pc is about to take a PLT-style jump (pc at the stub's start or
// after its endbr64), stores the function its cell holds and returns true: a sibling
// call through the PLT (`jmp f@plt`) leaves the thread in the stub with the jumping
// function's frame gone, logically inside f already. Reads only memory inside
// set.maps. Async-signal-safe.
bool plt_jump_target(const CheckSet &set, uintptr_t pc, uintptr_t *fn);

// The rule itself: the word at entry_sp is a return address after a call to fn (fn, a
// PLT entry whose cell holds fn, or a cell that holds fn). Reads only memory inside
// set.maps (the round's snapshot of readable mappings). Async-signal-safe.
bool arrived_by_call(const CheckSet &set, uintptr_t entry_sp, uintptr_t fn);

// Which entries may switch a thread (GRAFT_TEST_ENTRY_SWITCH, tests and benchmarks only).
enum class EntrySwitch {
	call,  // default: only an entry reached by a call to the function (arrived_by_call)
	any,   // every entry with a clean stack: the rule before issue 12, unsound with
	       // sibling calls (kept so a test can show the mixing it allows)
	never, // no entry switch: only the rounds' checks (signal, outside, fibers)
};
void set_entry_switch(EntrySwitch mode);
EntrySwitch entry_switch();

} // namespace graft::transition
