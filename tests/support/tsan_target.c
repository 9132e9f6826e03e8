// SPDX-License-Identifier: MIT
// tsan_target.c - linked into the integration tests' target programs in ThreadSanitizer
// builds only (tests/CMakeLists.txt, graft_tsan_plain).
//
// TSan starts a background thread of its own at the process's first pthread_create (here:
// the runtime's control thread, created by libgraft.so's constructor, which runs before
// this one). That thread blocks every signal, and graft rightly refuses to patch a
// process in which a thread can neither be moved out of the bytes it rewrites nor be
// checked by its signal ("thread N blocks the signal"). Nothing of it is needed here (it
// flushes shadow memory and enforces memory_limit_mb, both off by default), and the
// sanitizers' own interface stops it: the sandbox notification joins it.
#include <sanitizer/common_interface_defs.h>

__attribute__((constructor)) static void stop_tsan_background_thread(void)
{
	__sanitizer_sandbox_arguments args = {0, 0, 0};
	__sanitizer_sandbox_on_notify(&args);
}
