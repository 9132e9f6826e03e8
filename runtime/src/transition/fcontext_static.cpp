// SPDX-License-Identifier: MIT
// fcontext_static.cpp - Boost.Context linked statically: the program carries its own
// make_fcontext, jump_fcontext and ontop_fcontext, which its calls reach directly, never
// through the interposers in fcontext.cpp. At start-up the executable's copy is
// redirected to the interposers with graft's own entry patching (a site per function,
// outside any patch's function stack), and the interposers forward to the copy through
// its sites' relocated entries.
//
// Cost: one pass over the executable's .symtab (a private mapping of the file, no table
// is built), at every start; shared libraries are not searched (see docs/architecture.md).
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "arch/x86_64/site.hpp"
#include "base/log.hpp"
#include "os/identity.hpp"
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

// The section table of an ELF64 image mapped at [img, img + len), bounds-checked: a
// malformed file yields nothing rather than a read past the mapping.
template <typename T> const T *at(const uint8_t *img, size_t len, uint64_t off, uint64_t n = 1)
{
	if (off > len || n > (len - off) / sizeof(T))
		return nullptr;
	return reinterpret_cast<const T *>(img + off);
}

void scan_symtab(const uint8_t *img, size_t len, Found *f)
{
	const auto *eh = at<Elf64_Ehdr>(img, len, 0);
	if (!eh || std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr))
		return;
	const auto *sh = at<Elf64_Shdr>(img, len, eh->e_shoff, eh->e_shnum);
	for (size_t s = 0; sh && s < eh->e_shnum; s++) {
		if (sh[s].sh_type != SHT_SYMTAB || sh[s].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[s].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr &strs = sh[sh[s].sh_link];
		size_t n = sh[s].sh_size / sizeof(Elf64_Sym);
		const auto *syms = at<Elf64_Sym>(img, len, sh[s].sh_offset, n);
		const char *names = at<char>(img, len, strs.sh_offset, strs.sh_size);
		for (size_t i = 0; syms && names && i < n; i++) {
			const Elf64_Sym &sym = syms[i];
			if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_name >= strs.sh_size)
				continue;
			const char *name = names + sym.st_name;
			size_t room =
				strs.sh_size - sym.st_name; // the name must end inside the table
			for (int k = 0; k < 3; k++)
				if (strnlen(name, room) < room &&
				    std::strcmp(name, kNames[k]) == 0) {
					f->addr[k] = sym.st_value;
					f->size[k] = sym.st_size;
				}
		}
	}
}

// The executable's own copy: the three functions defined in its .symtab. Read from a
// private mapping of the file, not with libelf: this runs at every start, and loading
// libelf (and its libz) into every process cost start-up time and resident memory.
bool find_copy(const std::string &path, Found *f)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *img = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		img = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return false;
	scan_symtab(static_cast<const uint8_t *>(img), size_t(st.st_size), f);
	munmap(img, size_t(st.st_size));
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

} // namespace

void fcontext_redirect_static()
{
	std::string path = os::self_exe_path();
	Found f;
	// Read through /proc/self/exe, the mapped file itself: the path may name another
	// file by now, or none (an executable replaced or deleted on disk since it started).
	if (path.empty() || !find_copy("/proc/self/exe", &f))
		return;
	std::string name = path.substr(path.rfind('/') + 1), why;
	if (redirect(exe_base(), f, &why))
		log::printf("graft: tracking the Boost.Context linked into '%s'", name.c_str());
	else
		log::printf(
			"graft: cannot track the Boost.Context linked into '%s' (%s): its fibers "
			"are invisible to the consistency model",
			name.c_str(), why.c_str());
}

} // namespace graft::transition
