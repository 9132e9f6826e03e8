// SPDX-License-Identifier: MIT
// code.hpp - writing into executable memory of this process and serialising every core
// afterwards. A code page is never writable without being executable: writes go through
// a short mprotect(RWX) window, or through /proc/self/mem when the process refuses
// writable+executable mappings (SELinux execmod, MemoryDenyWriteExecute).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace graft::os {

enum class CodeWriteMode {
	mprotect_window, // mprotect(RWX), store, mprotect back to the old protection
	proc_mem,	 // pwrite on /proc/self/mem (FOLL_FORCE; the mapping keeps its protection)
};

// Registers MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE once. Idempotent.
// False and *why when cores cannot be serialised (kernel older than 4.16).
bool membarrier_init(std::string *why);
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE): every thread of the process
// executes a core-serialising instruction before it runs user code again (SDM 8.1.3).
void sync_cores();

// Forget the cached protections of mappings (call at the start of a batch of writes:
// libraries may have been loaded or unloaded since the last one).
void code_refresh_maps();
// Writes n bytes at dst. The bytes may be fetched by other threads only if the caller
// follows a cross-modification protocol (int3 + sync_cores). No partial write is left on
// failure of the mprotect path; *why names the address and errno.
bool code_write(uintptr_t dst, const void *src, size_t n, std::string *why);
// One aligned 2-byte store that instruction fetch sees whole (mprotect window only).
// False (nothing written) in proc_mem mode, where the kernel's copy is not atomic.
bool code_store_u16(uintptr_t dst, uint16_t value, std::string *why);
CodeWriteMode code_write_mode();

// A batch of code writes (one patch's functions): pages made writable stay writable
// (and executable) until the batch ends, instead of two mprotect calls per write
// (measured: ~6 per function, 62,018 for a 1,000-function enable). Not nested.
class CodeBatch {
public:
	CodeBatch();
	~CodeBatch(); // every page back to its protection
	CodeBatch(const CodeBatch &) = delete;
	CodeBatch &operator=(const CodeBatch &) = delete;
};
// In a fork child: the /proc/self/mem descriptor (the parent's memory) is closed and
// the cached mappings forgotten; the next write opens the child's own.
void code_after_fork_child();

// For tests: force a mode (proc_mem exercises the fallback).
void code_set_write_mode(CodeWriteMode mode);

} // namespace graft::os
