// SPDX-License-Identifier: MIT
// fcontext_static.hpp - tracking a Boost.Context linked statically into the program.
#pragma once

#include <atomic>
#include <cstdint>

namespace graft::transition {

// At start-up, before any fiber exists: finds a copy of make/jump/ontop_fcontext in the
// executable's .symtab and redirects its entries to the interposers (logged).
void fcontext_redirect_static();

// The interposers' addresses (fcontext.cpp): make, jump, ontop.
void fcontext_interposers(uintptr_t out[3]);

// The redirected copy's entries (its sites' relocated prologues), 0 when none: what the
// interposers forward to instead of the shared library's functions.
extern std::atomic<uintptr_t> static_make, static_jump, static_ontop;

} // namespace graft::transition
