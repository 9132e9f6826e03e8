// SPDX-License-Identifier: MIT
// symtab.cpp - SymbolTable: one ELF file's symbols read once with libelf, old_sympos lookups, build-id.
#include "symbols/symbols.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace graft::symbols {

namespace {

struct Entry {
	uint64_t value;
	uint64_t size;
	bool is_func;
	bool is_tls;
};

} // namespace

struct SymbolTable::Impl {
	std::string strtab; // a copy of the string table: the map's keys point into it
	std::unordered_map<std::string_view, std::vector<Entry>> by_name;
	std::string build_id;
	std::string debuglink; // .gnu_debuglink: the file name of its separate debug file
	bool has_symtab = false;
};

namespace {

constexpr uint16_t kVersymHidden = 0x8000;

// Closes the descriptor and the libelf handle on every path out of open().
struct ElfFile {
	int fd = -1;
	Elf *elf = nullptr;
	~ElfFile()
	{
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
	}
};

std::string elf_failure(const std::string &path, const char *why)
{
	return "cannot read ELF file '" + path + "': " + why;
}

bool libelf_ready()
{
	static std::once_flag once;
	static bool ok = false;
	std::call_once(once, [] { ok = elf_version(EV_CURRENT) != EV_NONE; });
	return ok;
}

// Records one symbol under key, in table order. The same name at the same address
// twice (a GLOBAL and a LOCAL copy, a versioned and a plain name) is one symbol: keep
// the larger size so that the arch layer sees the whole function.
void add_entry(SymbolTable::Impl &impl, std::string_view key, const Entry &e)
{
	std::vector<Entry> &list = impl.by_name[key];
	for (Entry &old : list) {
		if (old.value == e.value) {
			old.size = std::max(old.size, e.size);
			old.is_func = old.is_func || e.is_func;
			old.is_tls = old.is_tls || e.is_tls;
			return;
		}
	}
	list.push_back(e);
}

// Only defined symbols that name code or data count; section and file symbols name
// sections and source files, not things a patch can mean.
bool counts(const GElf_Sym &sym)
{
	int type = GELF_ST_TYPE(sym.st_info);
	return sym.st_shndx != SHN_UNDEF && sym.st_name != 0 && type != STT_SECTION &&
	       type != STT_FILE;
}

// Since binutils 2.35 .symtab spells versioned symbols "foo@VER" (a non-default
// version) and "foo@@VER" (the default one). A patch names the function the way the
// program calls it, "foo", which binds to the default version: index "foo@@VER" under
// "foo" too. "foo@VER" is found only under its full name.
void add_versioned_alias(SymbolTable::Impl &impl, std::string_view name, const Entry &e)
{
	size_t at = name.find("@@");
	if (at != std::string_view::npos && at > 0)
		add_entry(impl, name.substr(0, at), e);
}

Elf_Data *versym_data(Elf *elf)
{
	Elf_Scn *scn = nullptr;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_GNU_versym)
			return elf_getdata(scn, nullptr);
	}
	return nullptr;
}

// A non-default version in .dynsym (versym's hidden bit) is what "foo@VER" is in
// .symtab: not what a plain "foo" means.
bool hidden_version(Elf_Data *versym, size_t index)
{
	if (!versym || (index + 1) * sizeof(uint16_t) > versym->d_size)
		return false;
	return (static_cast<const uint16_t *>(versym->d_buf)[index] & kVersymHidden) != 0;
}

bool read_symbols(Elf *elf, Elf_Scn *scn, bool dynamic, SymbolTable::Impl &impl)
{
	GElf_Shdr shdr;
	if (!gelf_getshdr(scn, &shdr) || shdr.sh_entsize == 0)
		return false;
	Elf_Data *data = elf_getdata(scn, nullptr);
	Elf_Data *strs = elf_getdata(elf_getscn(elf, shdr.sh_link), nullptr);
	if (!data || !strs || !strs->d_buf)
		return false;
	impl.strtab.assign(static_cast<const char *>(strs->d_buf), strs->d_size);
	impl.strtab.push_back('\0'); // a malformed last name still ends
	Elf_Data *versym = dynamic ? versym_data(elf) : nullptr;
	size_t count = shdr.sh_size / shdr.sh_entsize;
	impl.by_name.reserve(count);
	for (size_t i = 1; i < count; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(data, static_cast<int>(i), &sym) || !counts(sym) ||
		    sym.st_name >= strs->d_size || hidden_version(versym, i))
			continue;
		std::string_view name(impl.strtab.data() + sym.st_name);
		int type = GELF_ST_TYPE(sym.st_info);
		Entry e{sym.st_value, sym.st_size, type == STT_FUNC || type == STT_GNU_IFUNC,
			type == STT_TLS};
		add_entry(impl, name, e);
		add_versioned_alias(impl, name, e);
	}
	return true;
}

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

std::string build_id_of_note(Elf_Data *data)
{
	GElf_Nhdr nhdr;
	size_t off = 0, name_off, desc_off, next;
	while ((next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *buf = static_cast<const char *>(data->d_buf);
		if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
		    std::memcmp(buf + name_off, "GNU", 4) == 0)
			return to_hex(reinterpret_cast<const unsigned char *>(buf + desc_off),
				      nhdr.n_descsz);
		off = next;
	}
	return {};
}

// The file name .gnu_debuglink holds (a NUL-terminated name, then padding and a CRC).
std::string debuglink_of(Elf *elf, Elf_Scn *scn, const GElf_Shdr &shdr, size_t shstrndx)
{
	const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
	if (!name || std::strcmp(name, ".gnu_debuglink") != 0)
		return {};
	Elf_Data *data = elf_getdata(scn, nullptr);
	if (!data || !data->d_buf || data->d_size == 0)
		return {};
	const char *p = static_cast<const char *>(data->d_buf);
	return std::string(p, strnlen(p, data->d_size));
}

// Walks the sections once: the symbol table to use, the build-id note, the debug link.
bool read_file(Elf *elf, SymbolTable::Impl &impl)
{
	Elf_Scn *symtab = nullptr, *dynsym = nullptr, *scn = nullptr;
	size_t shstrndx = 0;
	elf_getshdrstrndx(elf, &shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_PROGBITS && impl.debuglink.empty())
			impl.debuglink = debuglink_of(elf, scn, shdr, shstrndx);
		if (shdr.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (shdr.sh_type == SHT_DYNSYM)
			dynsym = scn;
		else if (shdr.sh_type == SHT_NOTE && impl.build_id.empty()) {
			Elf_Data *data = elf_getdata(scn, nullptr);
			if (data && data->d_buf)
				impl.build_id = build_id_of_note(data);
		}
	}
	impl.has_symtab = symtab != nullptr;
	if (symtab)
		return read_symbols(elf, symtab, false, impl);
	return dynsym == nullptr || read_symbols(elf, dynsym, true, impl);
}

std::shared_ptr<SymbolTable> open_checked(const std::string &path, std::string *err)
{
	if (!libelf_ready()) {
		*err = elf_failure(path, elf_errmsg(-1));
		return nullptr;
	}
	ElfFile file;
	file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (file.fd < 0) {
		*err = elf_failure(path, std::strerror(errno));
		return nullptr;
	}
	file.elf = elf_begin(file.fd, ELF_C_READ_MMAP, nullptr);
	if (!file.elf || elf_kind(file.elf) != ELF_K_ELF) {
		*err = elf_failure(path, file.elf ? "not an ELF file" : elf_errmsg(-1));
		return nullptr;
	}
	auto impl = std::make_unique<SymbolTable::Impl>();
	if (!read_file(file.elf, *impl)) {
		*err = elf_failure(path, "malformed symbol table");
		return nullptr;
	}
	return std::make_shared<SymbolTable>(std::move(impl));
}

} // namespace

SymbolTable::SymbolTable(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl))
{
}
SymbolTable::~SymbolTable() = default;

std::shared_ptr<SymbolTable> SymbolTable::open(const std::string &path, std::string *err)
{
	std::string ignored;
	if (!err)
		err = &ignored;
	try {
		return open_checked(path, err);
	} catch (...) {
		// Out of memory: a fixed message, as building another string may fail too.
		try {
			*err = "cannot read ELF file: out of memory";
		} catch (...) {
		}
	}
	return nullptr;
}

bool SymbolTable::find(const char *name, unsigned long sympos, uintptr_t base,
		       const std::string &object_name, Symbol *out, std::string *err) const
{
	try {
		auto it = impl_->by_name.find(std::string_view(name ? name : ""));
		const std::vector<Entry> *list = it == impl_->by_name.end() ? nullptr : &it->second;
		std::string msg;
		if (!list || list->empty())
			msg = std::string("symbol '") + (name ? name : "") +
			      "' not found in symbol table";
		else if (sympos == 0 && list->size() > 1)
			msg = std::string("unresolvable ambiguity for symbol '") + name +
			      "' in object '" + object_name + "'";
		else if (sympos > list->size())
			msg = "symbol position " + std::to_string(sympos) + " for symbol '" + name +
			      "' in object '" + object_name + "' not found";
		if (!msg.empty()) {
			if (err)
				*err = std::move(msg);
			return false;
		}
		const Entry &e = (*list)[sympos == 0 ? 0 : sympos - 1];
		if (out)
			*out = Symbol{static_cast<uintptr_t>(e.value) + base,
				      static_cast<size_t>(e.size), e.is_func, e.is_tls};
		return true;
	} catch (...) {
		try {
			if (err)
				*err = "out of memory";
		} catch (...) {
		}
		return false;
	}
}

size_t SymbolTable::size_at(uintptr_t value) const
{
	// A linear walk: called once per replacement function when a patch loads.
	size_t best = 0;
	for (const auto &[name, entries] : impl_->by_name)
		for (const Entry &e : entries)
			if (e.value == value && e.size > best)
				best = e.size;
	return best;
}

const std::string &SymbolTable::build_id() const
{
	return impl_->build_id;
}

bool SymbolTable::has_symtab() const
{
	return impl_->has_symtab;
}

const std::string &SymbolTable::debuglink() const
{
	return impl_->debuglink;
}

} // namespace graft::symbols
