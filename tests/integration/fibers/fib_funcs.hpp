// SPDX-License-Identifier: MIT
// fib_funcs.hpp - the fiber tests' patched functions, shared by the target and its patch
// module (C and C++).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__clang__)
#define FIB_OPAQUE __attribute__((noinline, used))
#else
#define FIB_OPAQUE __attribute__((noipa, used))
#endif

// In the target, not patched: the running fiber yields to its scheduler (it may resume
// on another thread), or parks until the test releases it.
void fib_yield(void);
void fib_wait(void);

long fib_f(long x); // x + 1000, patched: x * 3
long fib_g(long y); // y - 1000, patched: y / 3
long fib_h(long x); // g(f(x)) with a yield between: == x when f and g are of one version
int fib_park(void); // parks the fiber (fib_wait) and returns 1, patched: 2

// fib_sibling.c: fib_srun(x) == x as fib_h, but its last call is a sibling call (jmp
// fib_sdec); the _pfe copy is built with patchable entries.
long fib_senc(long x);
long fib_sdec(long y);
long fib_srun(long x);
long fib_senc_pfe(long x);
long fib_sdec_pfe(long y);
long fib_srun_pfe(long x);

#ifdef __cplusplus
}
#endif
