// SPDX-License-Identifier: MIT
// build_id.cpp - NT_GNU_BUILD_ID from the PT_NOTE segments of loaded objects, in memory.
#include "symbols/build_id.hpp"

#include <elf.h>
#include <sys/auxv.h>

#include <cstring>
#include <vector>

#include "os/self_read.hpp"

namespace graft::symbols {
namespace {

std::string to_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;
	for (size_t i = 0; i < n; i++) {
		out.push_back(digits[p[i] >> 4]);
		out.push_back(digits[p[i] & 0xf]);
	}
	return out;
}

size_t align4(size_t n)
{
	return (n + 3) & ~size_t(3);
}

// The GNU build-id in one note segment [p, p + size), or "".
std::string build_id_in_notes(const unsigned char *p, size_t size)
{
	size_t off = 0;
	while (off + sizeof(ElfW(Nhdr)) <= size) {
		ElfW(Nhdr) nh;
		std::memcpy(&nh, p + off, sizeof(nh));
		size_t name = off + sizeof(nh), desc = name + align4(nh.n_namesz);
		size_t next = desc + align4(nh.n_descsz);
		if (desc < name || next < desc || desc + nh.n_descsz > size)
			return {};
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    std::memcmp(p + name, "GNU", 4) == 0)
			return to_hex(p + desc, nh.n_descsz);
		off = next;
	}
	return {};
}

bool inside_load(const ElfW(Phdr) * phdr, size_t phnum, const ElfW(Phdr) & note)
{
	for (size_t i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_LOAD && note.p_vaddr >= phdr[i].p_vaddr &&
		    note.p_vaddr + note.p_memsz <= phdr[i].p_vaddr + phdr[i].p_memsz)
			return true;
	return false;
}

} // namespace

std::string build_id_of_phdrs(uintptr_t base, const ElfW(Phdr) * phdr, size_t phnum)
{
	for (size_t i = 0; i < phnum; i++) {
		if (phdr[i].p_type != PT_NOTE || !inside_load(phdr, phnum, phdr[i]))
			continue;
		std::string id = build_id_in_notes(
			reinterpret_cast<const unsigned char *>(base + phdr[i].p_vaddr),
			phdr[i].p_memsz);
		if (!id.empty())
			return id;
	}
	return {};
}

// A library's ELF header is mapped at l_addr when its first PT_LOAD starts at offset
// and address 0 (what every linker produces for a shared object). Everything is read
// fault-free and the header is accepted only if its PT_DYNAMIC is l_ld: then these are
// this object's program headers.
std::string build_id_of_map(const link_map *map)
{
	ElfW(Ehdr) eh;
	if (!map->l_ld || !os::read_self(map->l_addr, &eh, sizeof(eh)) ||
	    std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phentsize != sizeof(ElfW(Phdr)) ||
	    eh.e_phnum == 0 || eh.e_phnum > 256)
		return {};
	std::vector<ElfW(Phdr)> ph(eh.e_phnum);
	if (!os::read_self(map->l_addr + eh.e_phoff, ph.data(), ph.size() * sizeof(ElfW(Phdr))))
		return {};
	bool same = false;
	for (const auto &p : ph)
		same |= p.p_type == PT_DYNAMIC &&
			map->l_addr + p.p_vaddr == reinterpret_cast<uintptr_t>(map->l_ld);
	return same ? build_id_of_phdrs(map->l_addr, ph.data(), ph.size()) : std::string();
}

std::string build_id_of_main()
{
	auto phdr = reinterpret_cast<const ElfW(Phdr) *>(getauxval(AT_PHDR));
	size_t phnum = getauxval(AT_PHNUM);
	if (!phdr)
		return {};
	uintptr_t base = 0; // the load bias: AT_PHDR minus PT_PHDR's address
	for (size_t i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_PHDR)
			base = reinterpret_cast<uintptr_t>(phdr) - phdr[i].p_vaddr;
	return build_id_of_phdrs(base, phdr, phnum);
}

} // namespace graft::symbols
