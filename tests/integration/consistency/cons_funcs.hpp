// SPDX-License-Identifier: MIT
// cons_funcs.hpp - the consistency fixture's patched functions, shared by the target and
// its patch modules (C and C++).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// noinline everywhere; GCC's noipa also stops constant-propagation clones
// (codec_h.constprop.0) that callers would call instead of the patched symbol.
#if defined(__clang__)
#define CONS_OPAQUE __attribute__((noinline, used))
#else
#define CONS_OPAQUE __attribute__((noipa, used))
#endif

// cons_k's handshake with its caller: it records which version entered and spins until
// stop is set (so a thread can sit in it without calling anything else).
struct cons_k_ctl {
	volatile int stop;
	volatile int entered;
};

extern volatile int codec_pause;  // iterations of the pause inside h
extern volatile int busy_entered; // set by busymod_work_func once it runs

int busymod_work_func(int fd);	    // blocks in read(fd) until 'x'; 't' runs the throw test
int cons_version(void);		    // 1, patched: 2
int cons_inner(int x);		    // throws std::runtime_error for x < 0 (not patched)
int cons_pass(int x);		    // cons_inner(x) + 1, patched: + 2
long codec_f(long x);		    // x + 1000, patched: x * 3
long codec_g(long y);		    // y - 1000, patched: y / 3
void codec_spin(void);		    // not patched
long codec_h(long x);		    // g(f(x)) == x when f and g are of one version
int cons_k(struct cons_k_ctl *ctl); // 1; patch B: 2; patch A: 3
int cons_idle_func(void);	    // 1, patched: 2
void cons_busy_throw_test(void);    // in the target: run by the busy thread on 't'

#ifdef __cplusplus
}
#endif
