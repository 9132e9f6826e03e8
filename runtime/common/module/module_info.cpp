// SPDX-License-Identifier: MIT
// module_info.cpp - the descriptor of a patch module, read statically: the export symbol
// from .dynsym, pointers followed through the module's dynamic relocations, bytes read
// through the PT_LOAD segments. Everything is bounds-checked (the file is input). No
// exceptions (the runtime uses it too): the first failure is kept, every later read
// yields zeros, and each loop also stops on failed().
#include "module/module_info.hpp"

#include <elf.h>

#include <cstring>
#include <map>

#include <graft/graft.h>

namespace graft::module {
namespace {

class Module {
public:
	explicit Module(const std::string &data)
	    : data_(data)
	{
		if (data_.size() < sizeof(Elf64_Ehdr) ||
		    memcmp(data_.data(), ELFMAG, SELFMAG) != 0 || data_[EI_CLASS] != ELFCLASS64) {
			fail("is not a 64-bit ELF file");
			return;
		}
		eh_ = at<Elf64_Ehdr>(0);
		read_relocs();
	}

	// Keeps the first cause: later ones follow from it.
	void fail(const std::string &why) const
	{
		if (why_.empty())
			why_ = why;
	}
	bool failed() const { return !why_.empty(); }
	const std::string &why() const { return why_; }

	template <class T> T at(uint64_t off) const
	{
		T v{};
		if (failed() || off > data_.size() || sizeof(T) > data_.size() - off) {
			fail("is truncated or corrupt");
			return v;
		}
		memcpy(&v, data_.data() + off, sizeof(T));
		return v;
	}

	Elf64_Shdr section(unsigned i) const
	{
		return at<Elf64_Shdr>(eh_.e_shoff + uint64_t(i) * sizeof(Elf64_Shdr));
	}

	// File offset of virtual address va, or false (and failed() when va is in no segment):
	// .bss reads as zeros.
	bool file_offset(uint64_t va, uint64_t *off) const
	{
		for (unsigned i = 0; i < eh_.e_phnum; i++) {
			auto ph = at<Elf64_Phdr>(eh_.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr));
			if (ph.p_type != PT_LOAD || va < ph.p_vaddr ||
			    va >= ph.p_vaddr + ph.p_memsz)
				continue;
			if (va - ph.p_vaddr >= ph.p_filesz)
				return false; // .bss
			*off = ph.p_offset + (va - ph.p_vaddr);
			return true;
		}
		fail("has a pointer to an unmapped address");
		return false;
	}

	uint64_t u64(uint64_t va) const
	{
		auto it = relocs_.find(va);
		if (it != relocs_.end())
			return it->second;
		uint64_t off;
		return file_offset(va, &off) ? at<uint64_t>(off) : 0;
	}

	uint32_t u32(uint64_t va) const
	{
		uint64_t off;
		return file_offset(va, &off) ? at<uint32_t>(off) : 0;
	}

	std::string cstr(uint64_t va) const
	{
		uint64_t off;
		if (!file_offset(va, &off) || off >= data_.size()) {
			fail("has a string outside the file");
			return {};
		}
		const char *s = data_.data() + off;
		return std::string(s, strnlen(s, data_.size() - off));
	}

	// The value of the dynamic symbol name (0 if absent).
	uint64_t symbol(const char *name) const
	{
		for (unsigned i = 0; i < eh_.e_shnum && !failed(); i++) {
			Elf64_Shdr sh = section(i);
			if (sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
				continue;
			Elf64_Shdr strs = section(sh.sh_link);
			if (strs.sh_offset > data_.size() ||
			    strs.sh_size > data_.size() - strs.sh_offset)
				fail("is truncated or corrupt");
			for (uint64_t k = 0; k < sh.sh_size / sh.sh_entsize && !failed(); k++) {
				auto sym = at<Elf64_Sym>(sh.sh_offset + k * sh.sh_entsize);
				if (sym.st_shndx != SHN_UNDEF && sym.st_name < strs.sh_size &&
				    strcmp(data_.c_str() + strs.sh_offset + sym.st_name, name) == 0)
					return sym.st_value;
			}
		}
		return 0;
	}

private:
	void read_relocs()
	{
		for (unsigned i = 0; i < eh_.e_shnum && !failed(); i++) {
			Elf64_Shdr sh = section(i);
			if (sh.sh_type != SHT_RELA || !sh.sh_entsize)
				continue;
			Elf64_Shdr syms = sh.sh_link ? section(sh.sh_link) : Elf64_Shdr{};
			for (uint64_t k = 0; k < sh.sh_size / sh.sh_entsize && !failed(); k++) {
				auto r = at<Elf64_Rela>(sh.sh_offset + k * sh.sh_entsize);
				uint32_t type = ELF64_R_TYPE(r.r_info), idx = ELF64_R_SYM(r.r_info);
				if (type == R_X86_64_RELATIVE)
					relocs_[r.r_offset] = uint64_t(r.r_addend);
				else if (type == R_X86_64_64 && syms.sh_entsize) {
					auto sym = at<Elf64_Sym>(syms.sh_offset +
								 idx * syms.sh_entsize);
					if (sym.st_shndx != SHN_UNDEF)
						relocs_[r.r_offset] =
							sym.st_value + uint64_t(r.r_addend);
				}
			}
		}
	}

	const std::string &data_;
	Elf64_Ehdr eh_{};
	std::map<uint64_t, uint64_t> relocs_;
	mutable std::string why_;
};

// The export's header: false (m failed) when it is missing or of another ABI.
bool read_header(const Module &m, ModuleInfo *info, uint64_t *patch)
{
	uint64_t exp = m.failed() ? 0 : m.symbol(GRAFT_PATCH_SYMBOL);
	if (!exp) {
		m.fail("does not export '" GRAFT_PATCH_SYMBOL "': it is not a graft patch module");
		return false;
	}
	info->abi_version = m.u32(exp + offsetof(graft_patch_export, abi_version));
	if (info->abi_version < GRAFT_ABI_VERSION_MIN || info->abi_version > GRAFT_ABI_VERSION) {
		m.fail("has ABI version " + std::to_string(info->abi_version) + ", not " +
		       std::to_string(GRAFT_ABI_VERSION_MIN) + " to " +
		       std::to_string(GRAFT_ABI_VERSION));
		return false;
	}
	*patch = m.u64(exp + offsetof(graft_patch_export, patch));
	if (!*patch)
		m.fail("exports no patch");
	return !m.failed();
}

} // namespace

bool parse_module_info(const std::string &data, ModuleInfo *out, std::string *why)
{
	Module m(data);
	ModuleInfo info;
	uint64_t patch = 0;
	if (!read_header(m, &info, &patch)) {
		*why = m.why();
		return false;
	}
	info.replace = m.u32(patch + offsetof(graft_patch, replace)) != 0;
	uint64_t objs = m.u64(patch + offsetof(graft_patch, objs));
	uint64_t stride =
		info.abi_version >= 3 ? sizeof(graft_object) : offsetof(graft_object, shadow_types);
	for (uint64_t o = objs; objs && !m.failed() && m.u64(o + offsetof(graft_object, funcs));
	     o += stride) {
		if (info.objects.size() > 4096) {
			m.fail("has no end to its objects");
			break;
		}
		ModuleObject obj;
		if (uint64_t name = m.u64(o + offsetof(graft_object, name)))
			obj.name = m.cstr(name);
		if (info.abi_version >= 3)
			if (uint64_t id = m.u64(o + offsetof(graft_object, build_id)))
				obj.build_id = m.cstr(id);
		info.objects.push_back(std::move(obj));
	}
	if (m.failed()) {
		*why = m.why();
		return false;
	}
	*out = std::move(info);
	return true;
}

std::string object_label(const ModuleObject &obj)
{
	return obj.name ? *obj.name : std::string("the executable");
}

} // namespace graft::module
