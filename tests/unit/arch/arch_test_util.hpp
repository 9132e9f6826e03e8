// SPDX-License-Identifier: MIT
// arch_test_util.hpp - corpus declarations and helpers shared by the arch tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/x86_64/site.hpp"

extern "C" {
#define CORPUS(name)   \
	int name(int); \
	extern char name##_end[];
CORPUS(corpus_rip_load)
CORPUS(corpus_lea)
CORPUS(corpus_short_jcc)
CORPUS(corpus_short_jmp)
CORPUS(corpus_endbr)
CORPUS(corpus_frame)
CORPUS(corpus_rip_cmp)
CORPUS(corpus_call_end)
CORPUS(corpus_call_throw)
CORPUS(corpus_plain)
CORPUS(corpus_ret1)
CORPUS(corpus_short3)
CORPUS(corpus_call_mid)
CORPUS(corpus_branch_into)
CORPUS(corpus_syscall)
CORPUS(pfe_gcc)
CORPUS(pfe_clang)
CORPUS(pfe_gcc_endbr)
CORPUS(pfe_clang_endbr)
#undef CORPUS
int corpus_spin(volatile char *flag);
extern char corpus_spin_end[];
extern char corpus_flag;
int pfe_c_add(int x);
}

namespace arch_test {

using Fn = int (*)(int);

inline uintptr_t addr(const void *p)
{
	return reinterpret_cast<uintptr_t>(p);
}
inline uintptr_t addr(Fn f)
{
	return reinterpret_cast<uintptr_t>(f);
}

// site_prepare on a corpus function; asserts on refusal through the returned reason.
graft::arch::Site *prepare(Fn f, const void *end, const char *name, std::string *why);
// Calls through a volatile pointer so the compiler cannot inline or fold it.
int call(uintptr_t fn, int x);
std::vector<uint8_t> bytes(uintptr_t at, size_t n);
bool install(graft::arch::Site *s, std::string *why = nullptr);
bool remove(graft::arch::Site *s, std::string *why = nullptr);

} // namespace arch_test
