// SPDX-License-Identifier: MIT
// target.cpp - reading the deployed target and mapping original-object symbols to it.
#include "target.hpp"

#include "common.hpp"
#include "symbols/symbols.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace graft::patchgen {

namespace {

void read_symtab(Elf *elf, Elf_Scn *scn, std::vector<TargetSymbol> &out)
{
	GElf_Shdr sh;
	gelf_getshdr(scn, &sh);
	Elf_Data *d = elf_getdata(scn, nullptr);
	size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	std::string file;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, static_cast<int>(i), &s))
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
		TargetSymbol t;
		t.name = name ? name : "";
		t.type = GELF_ST_TYPE(s.st_info);
		t.bind = GELF_ST_BIND(s.st_info);
		if (t.type == STT_FILE) {
			file = t.name;
			continue;
		}
		t.value = s.st_value;
		t.size = s.st_size;
		t.defined = s.st_shndx != SHN_UNDEF;
		// Globals come after every local in .symtab: they belong to no file block.
		t.file = t.bind == STB_LOCAL ? file : "";
		out.push_back(t);
	}
}

std::string soname_of(Elf *elf, Elf_Scn *scn)
{
	GElf_Shdr sh;
	gelf_getshdr(scn, &sh);
	Elf_Data *d = elf_getdata(scn, nullptr);
	size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Dyn dyn;
		if (gelf_getdyn(d, static_cast<int>(i), &dyn) && dyn.d_tag == DT_SONAME) {
			const char *s = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			return s ? s : "";
		}
	}
	return "";
}

bool has_interp(Elf *elf)
{
	size_t n = 0;
	elf_getphdrnum(elf, &n);
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

std::string files_of(const std::vector<const TargetSymbol *> &syms)
{
	std::string out;
	for (const TargetSymbol *s : syms)
		out += (out.empty() ? "'" : ", '") + (s->bind == STB_LOCAL ? s->file : "<global>") +
		       "'";
	return out;
}

} // namespace

namespace {

std::string debug_hint(const std::string &path, const std::string &build_id)
{
	std::string where = build_id.size() > 2
				    ? "/usr/lib/debug/.build-id/" + build_id.substr(0, 2) + "/" +
					      build_id.substr(2) + ".debug"
				    : std::string("(no build-id: only --debug-file)");
	return "target: '" + path + "' is stripped (no .symtab) and no separate debug file of " +
	       "its build was found (" + where + ", or by .gnu_debuglink): patchgen and the " +
	       "runtime need its symbol table to find its static symbols; install its debug " +
	       "symbols (Debian: the -dbgsym package) or give --debug-file";
}

// The table the runtime will read (the target's, or its separate debug file's): *used
// is the file it came from.
std::shared_ptr<symbols::SymbolTable> open_table(const std::string &path,
						 const std::string &debug_file,
						 const std::vector<std::string> &debug_dirs,
						 std::string *used)
{
	std::string err;
	auto table = symbols::SymbolTable::open(path, &err);
	if (!table)
		throw Refusal("target: " + err);
	if (table->has_symtab()) {
		*used = path;
		return table;
	}
	if (debug_file.empty()) {
		const auto &dirs = debug_dirs.empty() ? symbols::SymbolTable::default_debug_dirs()
						      : debug_dirs;
		auto found = symbols::SymbolTable::open_with_debug(path, path, dirs, &err, used);
		if (!found || !found->has_symtab())
			throw Refusal(debug_hint(path, table->build_id()));
		return found;
	}
	auto debug = symbols::SymbolTable::open(debug_file, &err);
	if (!debug || !debug->has_symtab())
		throw Refusal("--debug-file: '" + debug_file + "' has no symbol table" +
			      (debug ? std::string() : ": " + err));
	if (table->build_id().empty() || debug->build_id() != table->build_id())
		throw Refusal("--debug-file: '" + debug_file + "' (build-id '" + debug->build_id() +
			      "') is not the debug file of '" + path + "' (build-id '" +
			      table->build_id() + "'): its addresses would be another build's");
	*used = debug_file;
	return debug;
}

void read_symbols_of(const std::string &file, std::vector<TargetSymbol> &out)
{
	ElfHandle h;
	h.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
	h.elf = h.fd >= 0 ? elf_begin(h.fd, ELF_C_READ_MMAP, nullptr) : nullptr;
	Elf_Scn *scn = nullptr;
	while (h.elf && (scn = elf_nextscn(h.elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			read_symtab(h.elf, scn, out);
	}
	if (!h.elf)
		throw Refusal("target: cannot read '" + file + "'");
}

} // namespace

Target Target::open(const std::string &path, const std::string &debug_file,
		    const std::vector<std::string> &debug_dirs)
{
	Target t;
	t.path = path;
	t.table_ = open_table(path, debug_file, debug_dirs, &t.symbols_path);
	if (t.symbols_path != path)
		info("target: symbols from the separate debug file '" + t.symbols_path + "'");
	t.build_id = t.table_->build_id();
	read_symbols_of(t.symbols_path, t.syms_);
	ElfHandle h;
	h.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	h.elf = h.fd >= 0 ? elf_begin(h.fd, ELF_C_READ_MMAP, nullptr) : nullptr;
	GElf_Ehdr eh;
	if (!h.elf || !gelf_getehdr(h.elf, &eh))
		throw Refusal("target: cannot read '" + path + "'");
	std::string soname;
	Elf_Scn *scn = nullptr;
	while ((scn = elf_nextscn(h.elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		const char *sname = elf_strptr(h.elf, eh.e_shstrndx, sh.sh_name);
		if (sname && std::strcmp(sname, "__patchable_function_entries") == 0)
			t.graft_ready = true;
		else if (sh.sh_type == SHT_DYNAMIC)
			soname = soname_of(h.elf, scn);
		else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
			Elf_Data *d = elf_getdata(scn, nullptr);
			if (d && d->d_buf && d->d_size == sh.sh_size) {
				auto *b = static_cast<const uint8_t *>(d->d_buf);
				t.code_.emplace_back(sh.sh_addr,
						     std::vector<uint8_t>(b, b + d->d_size));
			}
		}
	}
	if (eh.e_type == ET_DYN && !has_interp(h.elf)) {
		std::string base = path.substr(path.rfind('/') + 1);
		t.object_name = soname.empty() ? base : soname;
	}
	return t;
}

unsigned long Target::sympos_of(const std::string &name, uint64_t value) const
{
	std::string err;
	symbols::Symbol s;
	if (table_->find(name.c_str(), 0, 0, "target", &s, &err))
		return 0;
	for (unsigned long pos = 1;; pos++) {
		if (!table_->find(name.c_str(), pos, 0, "target", &s, &err))
			break;
		if (s.addr == value)
			return pos;
	}
	throw Refusal("target: symbol '" + name + "' at " + std::to_string(value) +
		      " has no old_sympos (the runtime would not find it)");
}

std::optional<Located> Target::locate(const std::string &name, bool local,
				      const std::string &file) const
{
	std::vector<const TargetSymbol *> all, fit;
	for (const TargetSymbol &s : syms_)
		if (s.defined && s.name == name && s.type != STT_SECTION)
			all.push_back(&s);
	for (const TargetSymbol *s : all)
		if (local ? (s->bind == STB_LOCAL && s->file == file) : s->bind != STB_LOCAL)
			fit.push_back(s);
	// A global of hidden or internal visibility is made LOCAL by the link; ld puts
	// those after an STT_FILE with an empty name (one block for the whole link, where
	// names are unique: they were globals).
	if (fit.empty() && !local)
		for (const TargetSymbol *s : all)
			if (s->bind == STB_LOCAL && s->file.empty())
				fit.push_back(s);
	if (fit.empty() && all.size() == 1 && local)
		fit = all; // a unique name needs no file to tell it apart
	if (fit.empty() && !all.empty())
		throw Refusal("target: '" + name + "' (" +
			      (local ? "static in " + file : "global") +
			      ") matches none of the target's " + std::to_string(all.size()) +
			      " symbols of that name (in source files: " + files_of(all) +
			      "); cannot tell which one the patched object means");
	if (fit.empty())
		return std::nullopt;
	if (fit.size() > 1)
		throw Refusal("target: " + std::to_string(fit.size()) + " symbols '" + name +
			      "' belong to source file '" + file +
			      "'; cannot tell which one the patched object means");
	Located l;
	l.value = fit[0]->value;
	l.size = fit[0]->size;
	l.is_func = fit[0]->type == STT_FUNC || fit[0]->type == STT_GNU_IFUNC;
	l.sympos = sympos_of(name, l.value);
	return l;
}

std::vector<uint8_t> Target::code(uint64_t value, uint64_t size) const
{
	for (const auto &[addr, bytes] : code_)
		if (value >= addr && value - addr <= bytes.size() &&
		    size <= bytes.size() - (value - addr))
			return {bytes.begin() + static_cast<long>(value - addr),
				bytes.begin() + static_cast<long>(value - addr + size)};
	return {};
}

bool Target::defines_global(const std::string &name) const
{
	for (const TargetSymbol &s : syms_)
		if (s.defined && s.bind != STB_LOCAL && s.name == name)
			return true;
	return false;
}

bool Target::defines_hidden(const std::string &name) const
{
	for (const TargetSymbol &s : syms_)
		if (s.defined && s.bind == STB_LOCAL && s.file.empty() && s.name == name &&
		    s.type != STT_SECTION)
			return true;
	return false;
}

bool Target::resolves(const std::string &name, unsigned long sympos, uint64_t value,
		      std::string *err) const
{
	symbols::Symbol s;
	if (!table_->find(name.c_str(), sympos, 0, object_name.empty() ? path : object_name, &s,
			  err))
		return false;
	if (s.addr != value) {
		*err = "symbol '" + name + "' resolves to another address than expected";
		return false;
	}
	return true;
}

} // namespace graft::patchgen
