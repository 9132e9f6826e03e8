// SPDX-License-Identifier: MIT
// module_placement.cpp - the policy of module placement (which module goes near the
// executable); the mechanism, reserving the address space above it, is
// os/reserve_near.cpp.
#include "core/module_placement.hpp"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/log.hpp"
#include "module/module_info.hpp"
#include "os/files.hpp"
#include "os/near.hpp"
#include "os/reserve_near.hpp"

namespace graft::core {
namespace {

constexpr size_t kMaxModuleBytes = size_t(256) << 20; // a descriptor read, not a mapping

// The executable's loaded span, and the load bias of the first library after it.
struct Layout {
	uintptr_t exe_bias = 0, exe_lo = UINTPTR_MAX, exe_hi = 0;
	uintptr_t lib_bias = 0;
	int seen = 0;
};

int note_object(dl_phdr_info *info, size_t, void *data)
{
	auto *l = static_cast<Layout *>(data);
	if (l->seen++ == 0) { // dl_iterate_phdr reports the program first
		l->exe_bias = info->dlpi_addr;
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) &ph = info->dlpi_phdr[i];
			if (ph.p_type != PT_LOAD)
				continue;
			l->exe_lo = std::min<uintptr_t>(l->exe_lo, info->dlpi_addr + ph.p_vaddr);
			l->exe_hi = std::max<uintptr_t>(l->exe_hi,
							info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
		}
		return 0;
	}
	if (!info->dlpi_name || !info->dlpi_name[0] || std::strstr(info->dlpi_name, "vdso"))
		return 0; // the vDSO sits above the stack, not where libraries go
	l->lib_bias = info->dlpi_addr;
	return 1;
}

uintptr_t distance(uintptr_t a, uintptr_t b)
{
	return a > b ? a - b : b - a;
}

// The address below which the module must land, or 0 with *why when it should be
// loaded where dlopen puts it.
uintptr_t placement_limit(const std::string &open_path, std::string *why)
{
	std::string data;
	module::ModuleInfo info;
	if (!os::read_file(open_path, kMaxModuleBytes, &data, why) ||
	    !module::parse_module_info(data, &info, why))
		return 0; // dlopen reports what is wrong with it
	bool only_exe = !info.objects.empty() &&
			std::all_of(info.objects.begin(), info.objects.end(),
				    [](const module::ModuleObject &o) { return !o.name; });
	if (!only_exe) {
		*why = "it patches a library (placed near the libraries)";
		return 0;
	}
	Layout l;
	dl_iterate_phdr(note_object, &l);
	if (!l.exe_bias || l.exe_hi <= l.exe_lo) {
		*why = "the executable is not position-independent";
		return 0;
	}
	if (l.lib_bias && distance(l.lib_bias, l.exe_lo) < os::kNearReach) {
		*why = "the libraries are already within reach of the executable";
		return 0;
	}
	// Every byte of the module within reach of every byte of the executable: the module
	// lands below exe_lo + reach; the reach from exe_hi down is checked by direct mode
	// itself, function by function (arch::site_reaches).
	return (l.exe_lo + os::kNearReach) & ~uintptr_t(0xfff);
}

} // namespace

void *dlopen_placed(const std::string &open_path, int flags)
{
	std::string why;
	std::vector<os::Reserved> reserved;
	uintptr_t limit = placement_limit(open_path, &why);
	// Only a module that should go near the executable and cannot says so in the log;
	// the modules that go where dlopen puts them (a library's) are the usual case.
	if (limit && !os::reserve_above(limit, &reserved, &why))
		log::printf("graft: patch module not placed near the executable (no direct mode "
			    "for its functions): %s",
			    why.c_str());
	void *handle = dlopen(open_path.c_str(), flags);
	// Released right away, whether the dlopen succeeded or not: the reservations only
	// steer the loader's mmap(NULL, span) of this one call.
	os::release_reserved(&reserved);
	return handle;
}

} // namespace graft::core
