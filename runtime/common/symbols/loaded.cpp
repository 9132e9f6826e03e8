// SPDX-License-Identifier: MIT
// loaded.cpp - the objects mapped in this process (dl_iterate_phdr) and graft_object.name matching.
#include "symbols/symbols.hpp"

#include "os/identity.hpp"
#include "os/mapped_file.hpp"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "symbols/build_id.hpp"

namespace graft::symbols {
namespace {

std::string file_name_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Where to read a library's ELF file: its path while that is still the file mapped at
// obj.mapped, else the mapping itself (the path was replaced or deleted since the load).
void set_readable_file(Object &obj, const std::vector<os::MappedFile> &files)
{
	const os::MappedFile *m = os::find_mapped_file(files, obj.mapped);
	if (!m || os::is_same_file(obj.path, *m)) {
		obj.file = obj.path;
		return;
	}
	std::string via = os::map_files_path(*m);
	if (access(via.c_str(), R_OK) == 0) {
		obj.file = via;
		return;
	}
	obj.file_error = "'" + obj.path +
			 "' was replaced or deleted on disk after it was loaded, "
			 "and its mapping " +
			 via +
			 " cannot be read (it needs CAP_CHECKPOINT_RESTORE "
			 "or CAP_SYS_ADMIN): restore the file as it was loaded, or run the process "
			 "with that capability";
}

void set_readable_files(std::vector<Object> &objects)
{
	bool any = false;
	for (const Object &obj : objects)
		any = any || !obj.is_main;
	if (!any)
		return; // nothing to look up: spare the read of /proc/self/maps
	std::vector<os::MappedFile> files;
	os::read_mapped_files(&files);
	for (Object &obj : objects)
		if (!obj.is_main)
			set_readable_file(obj, files);
}

// An address inside the object's first loaded segment.
uintptr_t mapped_address(const dl_phdr_info *info)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD)
			return info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
	return 0;
}

// glibc names objects by the path it opened them with, which may be relative
// (dlopen("./libx.so")); make it absolute without resolving symlinks, so that the
// file name stays the one the object was loaded as (libx.so.1, not libx.so.1.2.3).
std::string absolute_path(const char *path)
{
	if (path[0] == '/')
		return path;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return path;
	std::string out = cwd;
	if (std::strncmp(path, "./", 2) == 0)
		path += 2;
	return out + "/" + path;
}

bool is_vdso(const dl_phdr_info *info)
{
	auto ehdr = static_cast<uintptr_t>(getauxval(AT_SYSINFO_EHDR));
	if (ehdr == 0)
		return false;
	auto eh = reinterpret_cast<const ElfW(Ehdr) *>(ehdr);
	return reinterpret_cast<uintptr_t>(info->dlpi_phdr) == ehdr + eh->e_phoff;
}

// The dynamic section in memory. glibc relocates the d_ptr entries of the objects it
// loads in place on x86-64 but not those of the vDSO or of read-only dynamic sections,
// so an address below the load bias is still an offset: add the bias then.
uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) ptr)
{
	return (base != 0 && ptr < base) ? base + ptr : ptr;
}

std::string soname_from_dynamic(uintptr_t base, const ElfW(Dyn) * dyn)
{
	if (!dyn)
		return {};
	uintptr_t strtab = 0;
	ElfW(Xword) soname = 0;
	bool has_soname = false;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_STRTAB)
			strtab = dyn_addr(base, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SONAME) {
			soname = dyn->d_un.d_val;
			has_soname = true;
		}
	}
	if (!has_soname || strtab == 0)
		return {};
	return reinterpret_cast<const char *>(strtab + soname);
}

std::string soname_from_memory(const dl_phdr_info *info)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			return soname_from_dynamic(
				info->dlpi_addr,
				reinterpret_cast<const ElfW(Dyn) *>(info->dlpi_addr +
								    info->dlpi_phdr[i].p_vaddr));
	}
	return {};
}

struct IterateState {
	std::vector<Object> *out;
	bool first = true;
};

void add_object(dl_phdr_info *info, IterateState *st)
{
	bool first = st->first;
	st->first = false;
	Object obj;
	if (first) {
		// dl_iterate_phdr reports the main program first, with an empty name.
		obj.path = os::self_exe_path(); // without " (deleted)": the name it started as
		obj.file = "/proc/self/exe";	// the running file, even replaced or deleted
		obj.is_main = true;
	} else {
		if (!info->dlpi_name || !info->dlpi_name[0] || is_vdso(info))
			return;
		obj.path = absolute_path(info->dlpi_name);
	}
	if (obj.path.empty())
		return;
	obj.mapped = mapped_address(info);
	obj.name = file_name_of(obj.path);
	obj.soname = soname_from_memory(info);
	obj.base = info->dlpi_addr;
	obj.build_id = build_id_of_phdrs(info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum);
	st->out->push_back(std::move(obj));
}

// No exception may unwind through dl_iterate_phdr: it holds the loader's lock.
int collect(dl_phdr_info *info, size_t, void *data)
{
	auto *st = static_cast<IterateState *>(data);
	try {
		add_object(info, st);
		return 0;
	} catch (...) {
		return 1; // out of memory: stop, the caller keeps what was collected
	}
}

} // namespace

std::vector<Object> list_loaded_without_files()
{
	std::vector<Object> out;
	IterateState st{&out};
	dl_iterate_phdr(collect, &st);
	return out;
}

void add_readable_files(std::vector<Object> &objects)
{
	set_readable_files(objects);
}

std::vector<Object> list_loaded()
{
	std::vector<Object> out = list_loaded_without_files();
	set_readable_files(out); // outside dl_iterate_phdr: it holds the loader's lock
	return out;
}

std::string path_of(const link_map *map)
{
	return map->l_name && map->l_name[0] ? absolute_path(map->l_name) : std::string();
}

Object object_of(const link_map *map)
{
	Object obj;
	if (!map->l_name || !map->l_name[0])
		return obj; // the main program or the vDSO: never reported as loading
	obj.path = absolute_path(map->l_name);
	obj.name = file_name_of(obj.path);
	obj.soname = soname_from_dynamic(map->l_addr, map->l_ld);
	obj.base = map->l_addr;
	obj.build_id = build_id_of_map(map);
	obj.mapped = reinterpret_cast<uintptr_t>(map->l_ld);
	std::vector<Object> one{obj};
	set_readable_files(one);
	return one[0];
}

bool object_matches(const Object &obj, const char *name)
{
	return name == nullptr ? obj.is_main : (obj.name == name || obj.soname == name);
}

const Object *find_object(const std::vector<Object> &objects, const char *name)
{
	for (const Object &obj : objects) {
		if (object_matches(obj, name))
			return &obj;
	}
	return nullptr;
}

} // namespace graft::symbols
