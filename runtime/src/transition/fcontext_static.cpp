// SPDX-License-Identifier: MIT
// fcontext_static.cpp - Boost.Context linked statically: the program carries its own
// make_fcontext, jump_fcontext and ontop_fcontext, which its calls reach directly, never
// through the interposers in fcontext.cpp. At start-up the executable's copy is
// redirected to the interposers with graft's own entry patching (a site per function,
// outside any patch's function stack), and the interposers forward to the copy through
// its sites' relocated entries.
//
// Cost: one pass over the executable's .symtab with libelf (no table is built), at
// every start; shared libraries are not searched (see docs/architecture.md).
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "arch/x86_64/site.hpp"
#include "base/log.hpp"
#include "transition/fcontext_static.hpp"
#include "transition/switch_routines.hpp"

namespace graft::transition {

std::atomic<uintptr_t> static_make, static_jump, static_ontop;

namespace {

constexpr const char *kNames[3] = {"make_fcontext", "jump_fcontext", "ontop_fcontext"};

struct Found {
	uintptr_t addr[3] = {0, 0, 0}; // st_value (base not applied)
	size_t size[3] = {0, 0, 0};
	bool all() const { return addr[0] && addr[1] && addr[2]; }
};

void scan_symtab(Elf *elf, Found *f)
{
	for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, nullptr);
		size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, int(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (int k = 0; name && k < 3; k++)
				if (std::strcmp(name, kNames[k]) == 0) {
					f->addr[k] = sym.st_value;
					f->size[k] = sym.st_size;
				}
		}
	}
}

// The executable's own copy: the three functions defined in its .symtab.
bool find_copy(const std::string &path, Found *f)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
	if (elf)
		scan_symtab(elf, f);
	if (elf)
		elf_end(elf);
	close(fd);
	return f->all();
}

void publish(uintptr_t make, uintptr_t jump, uintptr_t ontop)
{
	static_make.store(make, std::memory_order_release);
	static_jump.store(jump, std::memory_order_release);
	static_ontop.store(ontop, std::memory_order_release);
}

bool redirect(uintptr_t base, const Found &f, std::string *why)
{
	uintptr_t to[3];
	fcontext_interposers(to);
	arch::Site *sites[3];
	for (int i = 0; i < 3; i++) {
		sites[i] = arch::site_prepare(base + f.addr[i], f.size[i], kNames[i], why);
		if (!sites[i])
			return false;
	}
	// Before the entries jump: a call that reaches an interposer finds the copy.
	publish(arch::site_original(sites[0]), arch::site_original(sites[1]),
		arch::site_original(sites[2]));
	// The copies' bodies, for the stack check (switch_routines.hpp): an interrupted
	// switch runs there, past the relocated entry.
	note_switch_routine(reinterpret_cast<const void *>(base + f.addr[1]), f.size[1]);
	note_switch_routine(reinterpret_cast<const void *>(base + f.addr[2]), f.size[2]);
	for (int i = 0; i < 3; i++)
		arch::site_set_target(sites[i], to[i]);
	if (arch::sites_install(sites, 3, why))
		return true;
	publish(0, 0, 0);
	return false;
}

// The executable's load bias: dl_iterate_phdr reports the program first.
uintptr_t exe_base()
{
	uintptr_t base = 0;
	dl_iterate_phdr(
		[](dl_phdr_info *info, size_t, void *data) {
			*static_cast<uintptr_t *>(data) = info->dlpi_addr;
			return 1;
		},
		&base);
	return base;
}

std::string exe_path()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

} // namespace

void fcontext_redirect_static()
{
	std::string path = exe_path();
	Found f;
	// Read through /proc/self/exe, the mapped file itself: the path may name another
	// file by now, or none (an executable replaced or deleted on disk since it started).
	if (path.empty() || !find_copy("/proc/self/exe", &f))
		return;
	std::string name = path.substr(path.rfind('/') + 1), why;
	if (redirect(exe_base(), f, &why))
		log::printf("graft: tracking the Boost.Context linked into '%s'", name.c_str());
	else
		log::printf("graft: cannot track the Boost.Context linked into '%s' (%s): its fibers "
			    "are invisible to the consistency model", name.c_str(), why.c_str());
}

} // namespace graft::transition
