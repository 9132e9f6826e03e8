// SPDX-License-Identifier: MIT
// fault_shim.h - allocation and mapping failures injected into graft's control threads
// (fault_shim.c), or nothing (fault_noshim.c: builds with AddressSanitizer, whose
// malloc cannot be replaced).
#pragma once

// From the next call on, the nth (1-based) call of kind ("malloc": malloc, calloc,
// realloc, the aligned ones; "mmap") made by libgraft.so on a thread named "graft-ctl*"
// fails with ENOMEM, and every later one. False without the shim or for an unknown kind.
int fault_shim_arm(const char *kind, long nth);
// Stops failing; returns how many calls were made to fail.
long fault_shim_disarm(void);
