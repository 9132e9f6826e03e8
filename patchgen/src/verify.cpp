// SPDX-License-Identifier: MIT
// verify.cpp - the module's checks: symbols against the target with the runtime's own
// lookup, no TEXTREL, undefined symbols provided by the target's libraries.
#include "verify.hpp"

#include "common.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <sstream>

namespace graft::patchgen {

namespace {

struct Dynamic {
	bool textrel = false;
	std::vector<std::string> undefined; // non-weak undefined .dynsym names
};

Dynamic read_dynamic(const std::string &path)
{
	Dynamic out;
	ElfHandle h;
	h.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	h.elf = h.fd >= 0 ? elf_begin(h.fd, ELF_C_READ_MMAP, nullptr) : nullptr;
	Elf *elf = h.elf;
	Elf_Scn *scn = nullptr;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		Elf_Data *d = elf_getdata(scn, nullptr);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			if (sh.sh_type == SHT_DYNAMIC) {
				GElf_Dyn dyn;
				if (gelf_getdyn(d, static_cast<int>(i), &dyn) &&
				    (dyn.d_tag == DT_TEXTREL ||
				     (dyn.d_tag == DT_FLAGS && (dyn.d_un.d_val & DF_TEXTREL))))
					out.textrel = true;
			} else if (sh.sh_type == SHT_DYNSYM && i > 0) {
				GElf_Sym s;
				if (gelf_getsym(d, static_cast<int>(i), &s) &&
				    s.st_shndx == SHN_UNDEF &&
				    GELF_ST_BIND(s.st_info) != STB_WEAK) {
					const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
					if (name && *name)
						out.undefined.push_back(name);
				}
			}
		}
	}
	return out;
}

// The target's libraries as the dynamic linker finds them (ldd), and the target itself.
std::vector<std::string> libraries_of(const Target &target)
{
	std::vector<std::string> libs{target.path};
	RunResult r = run({"ldd", target.path});
	std::istringstream in(r.output);
	std::string line;
	while (std::getline(in, line)) {
		size_t slash = line.find(" /");
		if (slash == std::string::npos)
			slash = line.find("\t/");
		if (slash == std::string::npos)
			continue;
		std::string path = line.substr(slash + 1);
		libs.push_back(path.substr(0, path.find(" (")));
	}
	return libs;
}

// The names a file exports: defined, non-local .dynsym entries (what ld.so binds to;
// an executable's .symtab is invisible to the module).
void add_exports(const std::string &path, std::set<std::string> &names)
{
	ElfHandle h;
	h.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	h.elf = h.fd >= 0 ? elf_begin(h.fd, ELF_C_READ_MMAP, nullptr) : nullptr;
	Elf *elf = h.elf;
	Elf_Scn *scn = nullptr;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		Elf_Data *d = elf_getdata(scn, nullptr);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 1; sh.sh_type == SHT_DYNSYM && d && i < n; i++) {
			GElf_Sym s;
			if (gelf_getsym(d, static_cast<int>(i), &s) && s.st_shndx != SHN_UNDEF &&
			    GELF_ST_BIND(s.st_info) != STB_LOCAL)
				if (const char *name = elf_strptr(elf, sh.sh_link, s.st_name))
					names.insert(name);
		}
	}
}

[[noreturn]] void fail(const std::string &output, const std::string &why)
{
	std::remove(output.c_str());
	throw Refusal(why);
}

} // namespace

void verify_module(const std::string &output, const std::vector<ObjectPlan> &objects)
{
	std::string err;
	for (const ObjectPlan &o : objects) {
		for (const FuncEntry &f : o.funcs)
			if (!o.target->resolves(f.old_name, f.sympos, f.value, &err))
				fail(output, "check: graft_func '" + f.old_name + "': " + err);
		for (const SymEntry &s : o.syms)
			if (!o.target->resolves(s.name, s.sympos, s.value, &err))
				fail(output, "check: graft_sym '" + s.name + "': " + err);
	}
	Dynamic dyn = read_dynamic(output);
	if (dyn.textrel)
		fail(output, "check: the module has text relocations (internal error: a target "
			     "reference escaped the rewrite)");
	std::set<std::string> exported;
	std::string paths;
	for (const ObjectPlan &o : objects) {
		paths += (paths.empty() ? "" : ", ") + o.target->path;
		for (const std::string &lib : libraries_of(*o.target))
			add_exports(lib, exported);
	}
	// graft_*: libgraft.so, preloaded into every target. Sanitizer entry points: the
	// sanitizer runtime, linked into a sanitized program's executable.
	auto runtime = [](const std::string &n) {
		for (const char *p : {"graft_", "__asan_", "__ubsan_", "__sanitizer_"})
			if (n.rfind(p, 0) == 0)
				return true;
		return false;
	};
	for (const std::string &name : dyn.undefined)
		if (!runtime(name) && !exported.count(name))
			fail(output, "check: the module needs '" + name + "', which neither " +
					     paths + " nor their libraries export");
}

} // namespace graft::patchgen
