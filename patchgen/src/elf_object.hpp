// SPDX-License-Identifier: MIT
// elf_object.hpp - a relocatable object (.o) read with libelf: sections with their bytes
// and relocations, symbols with the source file they belong to.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace graft::patchgen {

struct Reloc {
	uint64_t offset = 0;
	uint32_t type = 0;
	size_t sym = 0; // index into ElfObject::symbols
	int64_t addend = 0;
};

struct Section {
	size_t index = 0;
	std::string name;
	uint32_t type = 0;
	uint64_t flags = 0;
	uint64_t size = 0;
	std::vector<uint8_t> bytes; // empty for SHT_NOBITS
	std::vector<Reloc> relocs;  // from its .rela section, sorted by offset
};

struct Symbol {
	size_t index = 0;
	std::string name;
	unsigned type = 0, bind = 0, visibility = 0;
	size_t shndx = 0; // 0 (SHN_UNDEF) when undefined
	uint64_t value = 0, size = 0;
	bool defined() const { return shndx != 0; }
};

class ElfObject {
public:
	// Reads path; a Refusal naming the file on anything that is not an x86-64 ET_REL
	// (LTO objects, LLVM bitcode included).
	static ElfObject read(const std::string &path);

	std::string path;
	std::string file_symbol;       // the STT_FILE name ("main.c"), empty if none
	std::vector<Section> sections; // indexed by section number
	std::vector<Symbol> symbols;   // indexed by symbol number

	// The defined FUNC/OBJECT/TLS/IFUNC symbol of that name, nullptr if none.
	const Symbol *find(const std::string &name) const;
	// The FUNC/OBJECT symbol at offset off of section shndx (its range covers off).
	const Symbol *symbol_at(size_t shndx, uint64_t off) const;
	// The bytes of sym in its section (empty for NOBITS or out of range).
	std::vector<uint8_t> bytes_of(const Symbol &sym) const;
	// The relocations inside sym's range, offsets made relative to sym.
	std::vector<Reloc> relocs_of(const Symbol &sym) const;

private:
	std::map<std::string, size_t> by_name_;
};

// Whether a symbol names code or data (not a section, file or a bare label).
bool is_entity(const Symbol &s);

} // namespace graft::patchgen
