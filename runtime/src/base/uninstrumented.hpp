// SPDX-License-Identifier: MIT
// uninstrumented.hpp - marks for code that must run with no sanitizer hook at all.
#pragma once

// A function that no sanitizer may instrument: no memory-access hooks, no hooks on its
// atomics, no function entry/exit hooks. For code that runs on a thread ThreadSanitizer
// has not started yet (transition/thread_boot.cpp: any TSan hook there reads the
// thread's unset TSan state and crashes), and for stores TSan cannot follow
// (os/code.cpp: into code). It may call only GRAFT_INLINE_ALWAYS functions (their
// bodies are inlined before the sanitizer pass), other GRAFT_UNINSTRUMENTED ones and
// functions no sanitizer intercepts. Clang's no_sanitize("thread") would keep the
// entry/exit hooks and the atomics' hooks; GCC has no attribute that removes them all
// (TSan is run with Clang, scripts/test-tsan.sh). noinline: Clang 14 inlines such a
// function into an instrumented caller and then instruments its body there.
#if defined(__clang__)
#define GRAFT_UNINSTRUMENTED __attribute__((noinline, disable_sanitizer_instrumentation))
#else
#define GRAFT_UNINSTRUMENTED __attribute__((noinline, no_sanitize("thread", "address")))
#endif

// A body shared by instrumented callers and a GRAFT_UNINSTRUMENTED one: inlined into
// each, it is instrumented or not as its caller is.
#define GRAFT_INLINE_ALWAYS inline __attribute__((always_inline))
