// SPDX-License-Identifier: MIT
// elf_object.cpp - ElfObject::read: one pass over a relocatable object with libelf.
#include "elf_object.hpp"

#include "common.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace graft::patchgen {

namespace {

[[noreturn]] void bad(const std::string &path, const std::string &why)
{
	throw Refusal(path + ": " + why);
}

void read_sections(Elf *elf, ElfObject &obj, size_t shstrndx)
{
	size_t n = 0;
	elf_getshdrnum(elf, &n);
	obj.sections.resize(n);
	Elf_Scn *scn = nullptr;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			bad(obj.path, "malformed section header");
		Section &s = obj.sections[elf_ndxscn(scn)];
		s.index = elf_ndxscn(scn);
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		s.name = name ? name : "";
		s.type = sh.sh_type;
		s.flags = sh.sh_flags;
		s.size = sh.sh_size;
		Elf_Data *d = elf_getdata(scn, nullptr);
		if (sh.sh_type != SHT_NOBITS && d && d->d_buf)
			s.bytes.assign(static_cast<uint8_t *>(d->d_buf),
				       static_cast<uint8_t *>(d->d_buf) + d->d_size);
	}
}

// The symbol table, with extended section indexes (SHT_SYMTAB_SHNDX).
void read_symbols(Elf *elf, ElfObject &obj)
{
	Elf_Scn *scn = nullptr;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, nullptr);
		Elf_Data *shndx = nullptr;
		Elf_Scn *x = nullptr;
		while ((x = elf_nextscn(elf, x))) {
			GElf_Shdr xs;
			if (gelf_getshdr(x, &xs) && xs.sh_type == SHT_SYMTAB_SHNDX &&
			    xs.sh_link == elf_ndxscn(scn))
				shndx = elf_getdata(x, nullptr);
		}
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		obj.symbols.resize(count);
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			Elf32_Word xndx = 0;
			if (!gelf_getsymshndx(d, shndx, static_cast<int>(i), &sym, &xndx))
				bad(obj.path, "malformed symbol table");
			Symbol &s = obj.symbols[i];
			s.index = i;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			s.name = name ? name : "";
			s.type = GELF_ST_TYPE(sym.st_info);
			s.bind = GELF_ST_BIND(sym.st_info);
			s.visibility = GELF_ST_VISIBILITY(sym.st_other);
			s.shndx = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
			if (s.shndx >= SHN_LORESERVE && sym.st_shndx != SHN_XINDEX)
				s.shndx = sym.st_shndx == SHN_ABS ? SHN_ABS : 0;
			s.value = sym.st_value;
			s.size = sym.st_size;
			if (s.type == STT_FILE && obj.file_symbol.empty())
				obj.file_symbol = s.name;
		}
	}
}

void read_relocs(Elf *elf, ElfObject &obj)
{
	Elf_Scn *scn = nullptr;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_REL)
			bad(obj.path, "SHT_REL relocations (not x86-64 ELF)");
		if (sh.sh_type != SHT_RELA || sh.sh_info >= obj.sections.size())
			continue;
		Elf_Data *d = elf_getdata(scn, nullptr);
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		Section &target = obj.sections[sh.sh_info];
		for (size_t i = 0; i < count; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, static_cast<int>(i), &r))
				bad(obj.path, "malformed relocation section");
			target.relocs.push_back({r.r_offset,
						 static_cast<uint32_t>(GELF_R_TYPE(r.r_info)),
						 GELF_R_SYM(r.r_info), r.r_addend});
		}
		std::sort(target.relocs.begin(), target.relocs.end(),
			  [](const Reloc &a, const Reloc &b) { return a.offset < b.offset; });
	}
}

void refuse_lto(const ElfObject &obj)
{
	for (const Section &s : obj.sections)
		if (s.name.rfind(".gnu.lto_", 0) == 0 || s.name == ".llvm.lto" ||
		    s.name == ".llvmbc")
			bad(obj.path, "an LTO object (section " + s.name +
					      "): build the program to be patched without -flto");
}

} // namespace

bool is_entity(const Symbol &s)
{
	return s.type == STT_FUNC || s.type == STT_OBJECT || s.type == STT_TLS ||
	       s.type == STT_GNU_IFUNC ||
	       (s.type == STT_NOTYPE && s.defined() && !s.name.empty() &&
		s.name.rfind(".L", 0) != 0);
}

ElfObject ElfObject::read(const std::string &path)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		bad(path, elf_errmsg(-1));
	ElfHandle h;
	h.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (h.fd < 0)
		bad(path, std::string("cannot open: ") + std::strerror(errno));
	h.elf = elf_begin(h.fd, ELF_C_READ_MMAP, nullptr);
	if (!h.elf || elf_kind(h.elf) != ELF_K_ELF)
		bad(path, "not an ELF object (an LTO bitcode file? build without -flto)");
	GElf_Ehdr eh;
	if (!gelf_getehdr(h.elf, &eh) || eh.e_machine != EM_X86_64 || eh.e_type != ET_REL)
		bad(path, "not an x86-64 relocatable object");
	size_t shstrndx = 0;
	elf_getshdrstrndx(h.elf, &shstrndx);
	ElfObject obj;
	obj.path = path;
	read_sections(h.elf, obj, shstrndx);
	read_symbols(h.elf, obj);
	read_relocs(h.elf, obj);
	refuse_lto(obj);
	for (const Symbol &s : obj.symbols)
		if (s.defined() && is_entity(s) && !obj.by_name_.count(s.name))
			obj.by_name_[s.name] = s.index;
	return obj;
}

const Symbol *ElfObject::find(const std::string &name) const
{
	auto it = by_name_.find(name);
	return it == by_name_.end() ? nullptr : &symbols[it->second];
}

const Symbol *ElfObject::symbol_at(size_t shndx, uint64_t off) const
{
	const Symbol *best = nullptr;
	for (const Symbol &s : symbols) {
		if (s.shndx != shndx ||
		    (s.type != STT_FUNC && s.type != STT_OBJECT && s.type != STT_TLS))
			continue;
		if (off >= s.value && (off < s.value + s.size || (s.size == 0 && off == s.value)))
			if (!best || best->bind == STB_LOCAL)
				best = &s;
	}
	return best;
}

std::vector<uint8_t> ElfObject::bytes_of(const Symbol &sym) const
{
	if (sym.shndx >= sections.size())
		return {};
	const Section &s = sections[sym.shndx];
	if (sym.value + sym.size > s.bytes.size())
		return {};
	return {s.bytes.begin() + static_cast<long>(sym.value),
		s.bytes.begin() + static_cast<long>(sym.value + sym.size)};
}

std::vector<Reloc> ElfObject::relocs_of(const Symbol &sym) const
{
	std::vector<Reloc> out;
	if (sym.shndx >= sections.size())
		return out;
	for (Reloc r : sections[sym.shndx].relocs)
		if (r.offset >= sym.value && r.offset < sym.value + sym.size) {
			r.offset -= sym.value;
			out.push_back(r);
		}
	return out;
}

} // namespace graft::patchgen
