// SPDX-License-Identifier: MIT
// deferred_signals.hpp - whether this build runs under ThreadSanitizer, whose signal
// delivery graft's thread signal (os/thread_signal.cpp, transition/switcher.cpp) has to
// allow for.
//
// TSan does not run an asynchronous signal's handler when the signal arrives: its own
// handler notes the signal and returns, and the thread runs the program's handler when
// it next leaves one of TSan's interceptors (at once only if it sleeps in one TSan marks
// as blocking), with a COPY of the context saved at the arrival (rtl_generic_sighandler
// in LLVM's tsan_interceptors_posix.cpp; tests/tsan-signal measures the delay: 45,000
// to 1,000,000 loop iterations). A thread that enters no interceptor never runs it.
// Compile-time only: without TSan, kDeferredSignals is false and nothing changes.
#pragma once

namespace graft {

#if defined(__SANITIZE_THREAD__)
constexpr bool kDeferredSignals = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kDeferredSignals = true;
#else
constexpr bool kDeferredSignals = false;
#endif
#else
constexpr bool kDeferredSignals = false;
#endif

} // namespace graft
