// SPDX-License-Identifier: MIT
// stype_lib.c - libstype_lib.so: a library the target loads and unloads; the library
// patch attaches shadow variables to records through its lib_touch.
#include "stype.h"

// Keep the patchable functions whole and called by name: no inlining, no clones, and no
// interprocedural register allocation (GCC would keep values in registers the original
// does not clobber across its calls, but a replacement may).
#if defined(__clang__)
#define PATCHABLE __attribute__((noinline, used))
#else
#define PATCHABLE __attribute__((noipa, used))
#endif
// An argument the original does not read is still passed: Clang would otherwise pass
// anything at the call sites of a function whose definition it sees (dead argument
// elimination), and the replacement, which reads it, would get garbage.
#define USE_ARG(a) __asm__ volatile("" : : "r"(a))

static volatile int original_zero;

PATCHABLE __attribute__((visibility("default"))) int lib_touch(struct rec *r)
{
	USE_ARG(r);
	return original_zero;
}
