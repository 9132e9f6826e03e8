// SPDX-License-Identifier: MIT
// self_read.hpp - reading this process's own memory where a plain load could fault
// (an address that may not be mapped): process_vm_readv fails with EFAULT instead.
// Header-only, so that symbols/ (which patchgen links without os/) can use it.
#pragma once

#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace graft::os {

// Copies n bytes at addr into out. False (out unspecified) when any of them is not
// readable.
inline bool read_self(uintptr_t addr, void *out, size_t n)
{
	iovec local{out, n};
	iovec remote{reinterpret_cast<void *>(addr), n};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}

} // namespace graft::os
