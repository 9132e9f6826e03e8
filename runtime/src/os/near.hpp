// SPDX-License-Identifier: MIT
// near.hpp - anonymous mappings placed within rel32 reach (+-2 GiB) of an address, found
// in the gaps of /proc/self/maps (a PIE executable and the libraries are terabytes apart).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace graft::os {

// Slack below 2 GiB so that any byte of a mapping found here reaches, and is reached
// from, any byte of a function near `near` with a rel32/disp32.
constexpr uintptr_t kNearReach = (uintptr_t(1) << 31) - (uintptr_t(16) << 20);

// Room left free above [heap] for brk to grow: nothing graft maps or reserves goes there.
constexpr uintptr_t kHeapSlack = uintptr_t(1) << 30;

// Maps len bytes (a multiple of the page size) PROT_READ|PROT_EXEC, private anonymous,
// with [result, result+len) inside [near - kNearReach, near + kNearReach]. Never placed
// right above [heap] (brk grows there). Returns 0 and *why when no gap fits.
uintptr_t map_near(uintptr_t near, size_t len, std::string *why);

} // namespace graft::os
