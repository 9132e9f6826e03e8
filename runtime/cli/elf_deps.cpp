// SPDX-License-Identifier: MIT
// elf_deps.cpp - reads DT_NEEDED, sanitizer symbols and PT_INTERP from an ELF file's
// section and program headers, bounds-checked (the file is untrusted input).
#include "elf_deps.hpp"

#include <cstring>

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::cli {
namespace {

// The sanitizer entry points whose definition marks a program as instrumented.
constexpr const char *kSanitizerInits[] = {"__asan_init", "__tsan_init", "__hwasan_init"};

struct Image {
	const unsigned char *data = nullptr;
	size_t size = 0;

	bool has(uint64_t off, uint64_t len) const { return off <= size && len <= size - off; }
	// A NUL-terminated string at off inside [table, table + table_size), or "".
	std::string str(uint64_t table, uint64_t table_size, uint64_t off) const
	{
		if (!has(table, table_size) || off >= table_size)
			return "";
		const char *s = reinterpret_cast<const char *>(data + table + off);
		return std::string(s, strnlen(s, table_size - off));
	}
};

const Elf64_Shdr *section(const Image &img, const Elf64_Ehdr &eh, unsigned i)
{
	if (i >= eh.e_shnum ||
	    !img.has(eh.e_shoff + uint64_t(i) * sizeof(Elf64_Shdr), sizeof(Elf64_Shdr)))
		return nullptr;
	return reinterpret_cast<const Elf64_Shdr *>(img.data + eh.e_shoff) + i;
}

void read_dynamic(const Image &img, const Elf64_Ehdr &eh, const Elf64_Shdr &sh, ElfDeps &out)
{
	const Elf64_Shdr *strtab = section(img, eh, sh.sh_link);
	if (!strtab || !img.has(sh.sh_offset, sh.sh_size))
		return;
	auto *dyn = reinterpret_cast<const Elf64_Dyn *>(img.data + sh.sh_offset);
	for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Dyn) && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_NEEDED)
			out.needed.push_back(
				img.str(strtab->sh_offset, strtab->sh_size, dyn[i].d_un.d_val));
}

void read_dynsym(const Image &img, const Elf64_Ehdr &eh, const Elf64_Shdr &sh, ElfDeps &out)
{
	const Elf64_Shdr *strtab = section(img, eh, sh.sh_link);
	if (!strtab || !img.has(sh.sh_offset, sh.sh_size))
		return;
	auto *sym = reinterpret_cast<const Elf64_Sym *>(img.data + sh.sh_offset);
	for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Sym); i++) {
		if (sym[i].st_shndx == SHN_UNDEF)
			continue;
		std::string name = img.str(strtab->sh_offset, strtab->sh_size, sym[i].st_name);
		for (const char *init : kSanitizerInits)
			if (name == init)
				out.defined.push_back(name);
	}
}

void read_interp(const Image &img, const Elf64_Ehdr &eh, ElfDeps &out)
{
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		uint64_t off = eh.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr);
		if (!img.has(off, sizeof(Elf64_Phdr)))
			return;
		auto *ph = reinterpret_cast<const Elf64_Phdr *>(img.data + off);
		if (ph->p_type == PT_INTERP && img.has(ph->p_offset, ph->p_filesz))
			out.interp = img.str(ph->p_offset, ph->p_filesz, 0);
	}
}

std::optional<ElfDeps> parse(const Image &img)
{
	if (!img.has(0, sizeof(Elf64_Ehdr)) || memcmp(img.data, ELFMAG, SELFMAG) != 0 ||
	    img.data[EI_CLASS] != ELFCLASS64)
		return std::nullopt;
	Elf64_Ehdr eh;
	memcpy(&eh, img.data, sizeof(eh));
	ElfDeps out;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		const Elf64_Shdr *sh = section(img, eh, i);
		if (sh && sh->sh_type == SHT_DYNAMIC)
			read_dynamic(img, eh, *sh, out);
		else if (sh && sh->sh_type == SHT_DYNSYM)
			read_dynsym(img, eh, *sh, out);
	}
	read_interp(img, eh, out);
	return out;
}

} // namespace

std::optional<ElfDeps> read_elf_deps(const std::string &path)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return std::nullopt;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < off_t(sizeof(Elf64_Ehdr))) {
		close(fd);
		return std::nullopt;
	}
	void *map = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return std::nullopt;
	std::optional<ElfDeps> out =
		parse(Image{static_cast<const unsigned char *>(map), size_t(st.st_size)});
	munmap(map, size_t(st.st_size));
	return out;
}

bool is_first_sanitizer_runtime(const std::string &soname)
{
	for (const char *prefix : {"libasan.so", "libtsan.so", "libhwasan.so", "libclang_rt.asan",
				   "libclang_rt.tsan", "libclang_rt.hwasan"})
		if (soname.rfind(prefix, 0) == 0)
			return true;
	return false;
}

bool links_sanitizer_statically(const ElfDeps &deps)
{
	return !deps.defined.empty();
}

} // namespace graft::cli
