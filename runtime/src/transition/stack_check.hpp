// SPDX-License-Identifier: MIT
// stack_check.hpp - is any affected function on a thread's stack? (the kernel's
// klp_check_stack). A conservative scan: the interrupted PC, then every word from the
// stack pointer to the top of the stack's mapping that looks like a return address into
// one of the sorted ranges (inside it, past its start, right after a call instruction).
// No unwinder: async-signal-safe, works without frame pointers or unwind tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace graft::transition {

struct CheckRange {
	uintptr_t lo = 0, hi = 0; // [lo, hi)
	int name = 0;		  // index into CheckSet::names
};

// Built by the transition thread, immutable while a round uses it.
struct CheckSet {
	std::vector<CheckRange> ranges; // sorted by lo
	std::vector<std::string> names;
	std::vector<std::pair<uintptr_t, uintptr_t>> maps; // readable mappings, sorted
	// Return addresses of calls relocated out of a detoured entry into its trampoline:
	// the trampoline's call pushes the original return address, but the bytes before
	// it are now the entry's jmp, so follows_call cannot see them. Sorted.
	std::vector<uintptr_t> call_returns;
	// Lowest lo, highest hi (set by sort): a quick filter before the search, for long
	// fiber stacks.
	uintptr_t span_lo = 0, span_hi = 0;
	// What a thread on the lazy binding path runs (lazy_binding.hpp): named by sort,
	// no range of its own.
	CheckRange lazy_path{0, 0, -1};
	void add(uintptr_t lo, uintptr_t hi, const std::string &name);
	void sort();
	// Reads /proc/self/maps: where each stack ends. False if unreadable.
	bool read_maps();
};

enum class Verdict { clean, running_in, on_stack, unreliable };

struct CheckResult {
	Verdict verdict = Verdict::clean;
	int name = -1;	  // the range found
	uintptr_t at = 0; // on_stack: the stack slot that holds the return address found
};

// Checks the stack of a thread stopped at pc with stack pointer sp. Reads only memory
// inside set.maps. Async-signal-safe (no allocation, no locks).
CheckResult check_stack(const CheckSet &set, uintptr_t pc, uintptr_t sp);

// check_stack for a stack whose top is known (a fiber's): reads up to hi (0: the end of
// sp's mapping) and never past the mapping. Async-signal-safe.
CheckResult check_stack_to(const CheckSet &set, uintptr_t pc, uintptr_t sp, uintptr_t hi);

// The check of a suspended context's stack [sp, hi) (hi 0: to the end of sp's mapping)
// and its resume address pc, for the transition thread. Reads the stack through
// process_vm_readv, so a stack the program freed without telling graft gives
// "unreliable" instead of a fault.
CheckResult check_suspended(const CheckSet &set, uintptr_t pc, uintptr_t sp, uintptr_t hi);

// The precise check of the calling thread's own stack, for a signal handler: unwinds
// with the DWARF unwinder (_Unwind_Backtrace, lock-free on glibc >= 2.35) from the
// handler through the signal frame, checking the interrupted PC and each return
// address. Returns false when the unwinder could not reach the stack's end (no unwind
// tables somewhere): then use check_stack. interrupted_pc 0: the handler was not entered
// through a signal frame but called on the thread's live stack (ThreadSanitizer's
// deferred delivery, switcher.cpp): every frame from the caller up is checked.
bool check_own_stack_precisely(const CheckSet &set, uintptr_t interrupted_pc, CheckResult *out);

// True when [addr, addr + len) lies inside one of set.maps.
bool readable(const CheckSet &set, uintptr_t addr, size_t len);

// Copies len bytes at addr into out if the whole range lies inside one of set.maps (code
// and data the program owns: a PLT stub, its cell). Async-signal-safe.
bool read_mapped(const CheckSet &set, uintptr_t addr, void *out, size_t len);

// The return-address rule of the scans: w, inside range r, follows a call instruction
// (follows_call) or is one of set.call_returns.
bool is_return_address(const CheckSet &set, const CheckRange &r, uintptr_t w);

// True when the bytes before addr end with a call instruction (E8 rel32, or FF /2 in
// any encoding, optionally REX-prefixed), reading no byte below lo.
bool follows_call(uintptr_t addr, uintptr_t lo);

} // namespace graft::transition
