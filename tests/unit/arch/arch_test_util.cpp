// SPDX-License-Identifier: MIT
// arch_test_util.cpp - helpers shared by the arch tests.
#include "arch_test_util.hpp"

namespace arch_test {

graft::arch::Site *prepare(Fn f, const void *end, const char *name, std::string *why)
{
	return graft::arch::site_prepare(addr(f), addr(end) - addr(f), name, why);
}

int call(uintptr_t fn, int x)
{
	Fn volatile p = reinterpret_cast<Fn>(fn);
	return p(x);
}

std::vector<uint8_t> bytes(uintptr_t at, size_t n)
{
	auto *p = reinterpret_cast<const uint8_t *>(at);
	return std::vector<uint8_t>(p, p + n);
}

bool install(graft::arch::Site *s, std::string *why)
{
	return graft::arch::sites_install(&s, 1, why);
}
bool remove(graft::arch::Site *s, std::string *why)
{
	return graft::arch::sites_remove(&s, 1, why);
}

} // namespace arch_test
