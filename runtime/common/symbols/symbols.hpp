// SPDX-License-Identifier: MIT
// symbols.hpp - loaded objects and ELF symbol lookup (libelf): .symtab with .dynsym
// fallback, old_sympos, function sizes, build-id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct link_map;

namespace graft::symbols {

// One ELF object mapped in this process (the main executable or a shared library).
struct Object {
	std::string path; // absolute path of the file it was mapped from
	// Where to read that file now: /proc/self/exe for the program, path while it still
	// names the mapped file, else /proc/self/map_files/... (replaced or deleted on disk
	// since it was loaded). Empty: the mapped file cannot be read (see file_error).
	std::string file;
	std::string file_error;
	uintptr_t mapped = 0; // an address inside one of its file mappings
	std::string name;     // file name of path, e.g. "libfoo.so.1" or "server"
	std::string soname;   // DT_SONAME, empty when it has none
	uintptr_t base = 0;   // load bias (link_map l_addr): runtime address = base + st_value
	bool is_main = false; // the main executable
	std::string build_id; // GNU build-id (lowercase hex) from its PT_NOTE in memory, or ""
};

// Every object currently loaded, the main executable first (dl_iterate_phdr order).
// Skips the vDSO and objects without a file.
std::vector<Object> list_loaded();

// The same without Object::file and file_error: those cost a read of /proc/self/maps
// and a stat per object, which a caller that only compares the objects loaded before
// and after a dlopen does not need (0.1 ms a listing in a small program, more with
// many mappings). add_readable_files fills them in for the objects that need them.
std::vector<Object> list_loaded_without_files();
void add_readable_files(std::vector<Object> &objects);

// The absolute path the loader names map by (empty for the main program and the vDSO),
// as list_loaded reports it.
std::string path_of(const link_map *map);

// The object the loader describes with map (a library it is loading or unloading);
// an empty path for the main program, which is never loaded that way.
Object object_of(const link_map *map);

// True when obj is the object a graft_object.name designates (nullptr: the program).
bool object_matches(const Object &obj, const char *name);

// The object a graft_object.name designates: nullptr name = the main executable; else
// the first object whose file name or soname equals name. nullptr if none is loaded.
const Object *find_object(const std::vector<Object> &objects, const char *name);

struct Symbol {
	uintptr_t addr = 0;   // runtime address (base applied)
	size_t size = 0;      // st_size
	bool is_func = false; // STT_FUNC or STT_GNU_IFUNC
	bool is_tls = false;  // STT_TLS: addr is base + an offset in the TLS block, not an address
};

// The symbol table of one ELF file, read once with libelf. Immutable once open()
// returns: its const members may be called from any thread.
class SymbolTable {
public:
	// Opens and reads path; nullptr and *err set ("cannot read ELF file '...': ...")
	// on failure. Builds a name -> symbols hash map once, so each find() is one
	// hash lookup: cache the table per path (the core does) rather than reopen.
	static std::shared_ptr<SymbolTable> open(const std::string &path, std::string *err);

	// Finds name with the old_sympos rule: 0 -> the name must be unique among the
	// table's symbols of that name; N -> the Nth of them (1-based) in table order.
	// Uses .symtab, or .dynsym when the file has no .symtab (stripped).
	//
	// What counts, as the kernel's kallsyms walk does: every defined symbol (not
	// SHN_UNDEF) of exactly that name, FUNC, IFUNC, OBJECT, TLS or NOTYPE alike
	// (STT_SECTION and STT_FILE name sections and sources, never a patch target).
	// Other names at the same address (aliases, e.g. memcpy/__memcpy) do not count:
	// only the name is compared. The same name at the same address more than once
	// (a GLOBAL and a LOCAL copy, "foo" and "foo@@VER") counts once, with the larger
	// size. A default-version symbol "foo@@VER" in .symtab is found as "foo" too (the
	// name callers bind to); a non-default one ("foo@VER", or hidden in .gnu.version
	// for .dynsym) is not found as "foo".
	// On failure returns false and sets *err to the kernel's messages:
	//   "symbol 'NAME' not found in symbol table"
	//   "unresolvable ambiguity for symbol 'NAME' in object 'OBJ'"
	//   "symbol position N for symbol 'NAME' in object 'OBJ' not found"
	// where OBJ is object_name. addr in *out is st_value + base.
	bool find(const char *name, unsigned long sympos, uintptr_t base,
		  const std::string &object_name, Symbol *out, std::string *err) const;

	// The largest st_size of the symbols whose st_value is value (0 when none): the
	// size of a function known by its address (a patch module's replacement).
	size_t size_at(uintptr_t value) const;

	// The GNU build-id as lowercase hex, empty when the file has none.
	const std::string &build_id() const;
	bool has_symtab() const; // false: stripped, lookups use .dynsym
	// The name in .gnu_debuglink (a stripped file's separate debug file), or "".
	const std::string &debuglink() const;

	// Opens file (the ELF file to read: a path or /proc/self/exe) as open() does; when
	// it is stripped, opens instead its separate debug file where gdb and the
	// distributions put it: DIR/.build-id/xx/yyyy.debug for each of debug_dirs (by
	// build-id), then by .gnu_debuglink next to path (the file's name as loaded), in
	// its .debug/ and in DIR/<path's directory>/. A candidate counts only with a
	// .symtab and the same build-id (its symbol values are the stripped file's: the
	// same link). None found: the stripped file's own table (.dynsym). *used, if
	// given, is set to the file read.
	static std::shared_ptr<SymbolTable>
	open_with_debug(const std::string &file, const std::string &path,
			const std::vector<std::string> &debug_dirs, std::string *err,
			std::string *used = nullptr);
	// Where distributions install debug files.
	static const std::vector<std::string> &default_debug_dirs();

	struct Impl;
	explicit SymbolTable(std::unique_ptr<Impl> impl);
	~SymbolTable();

private:
	std::unique_ptr<Impl> impl_;
};

} // namespace graft::symbols
