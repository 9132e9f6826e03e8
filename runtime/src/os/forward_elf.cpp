// SPDX-License-Identifier: MIT
// forward_elf.cpp - the libelf functions graft calls, defined here with the same names:
// each resolves the real one in libelf, loaded on first need (os/lazy_libs.hpp), once.
// Linked into libgraft.so and the CLI instead of libelf itself, so neither loads libelf
// (and its libz and libzstd) before it reads a symbol table. When libelf cannot be
// loaded each call fails the way libelf reports a failure (nullptr, -1, 0), and
// elf_errmsg says why.
#include <gelf.h>
#include <libelf.h>

#include "os/lazy_libs.hpp"

#define GRAFT_ELF_REAL(name) GRAFT_LAZY_REAL(elf, name)

extern "C" {

unsigned int elf_version(unsigned int v)
{
	GRAFT_ELF_REAL(elf_version);
	return fn ? fn(v) : EV_NONE;
}

Elf *elf_begin(int fd, Elf_Cmd cmd, Elf *ref)
{
	GRAFT_ELF_REAL(elf_begin);
	return fn ? fn(fd, cmd, ref) : nullptr;
}

int elf_end(Elf *elf)
{
	GRAFT_ELF_REAL(elf_end);
	return fn ? fn(elf) : 0;
}

const char *elf_errmsg(int error)
{
	GRAFT_ELF_REAL(elf_errmsg);
	return fn ? fn(error)
		  : "libelf cannot be loaded (see the log): install the package libelf1";
}

Elf_Kind elf_kind(Elf *elf)
{
	GRAFT_ELF_REAL(elf_kind);
	return fn ? fn(elf) : ELF_K_NONE;
}

Elf_Scn *elf_getscn(Elf *elf, size_t index)
{
	GRAFT_ELF_REAL(elf_getscn);
	return fn ? fn(elf, index) : nullptr;
}

Elf_Scn *elf_nextscn(Elf *elf, Elf_Scn *scn)
{
	GRAFT_ELF_REAL(elf_nextscn);
	return fn ? fn(elf, scn) : nullptr;
}

Elf_Data *elf_getdata(Elf_Scn *scn, Elf_Data *data)
{
	GRAFT_ELF_REAL(elf_getdata);
	return fn ? fn(scn, data) : nullptr;
}

int elf_getshdrstrndx(Elf *elf, size_t *dst)
{
	GRAFT_ELF_REAL(elf_getshdrstrndx);
	return fn ? fn(elf, dst) : -1;
}

char *elf_strptr(Elf *elf, size_t section, size_t offset)
{
	GRAFT_ELF_REAL(elf_strptr);
	return fn ? fn(elf, section, offset) : nullptr;
}

GElf_Shdr *gelf_getshdr(Elf_Scn *scn, GElf_Shdr *dst)
{
	GRAFT_ELF_REAL(gelf_getshdr);
	return fn ? fn(scn, dst) : nullptr;
}

GElf_Sym *gelf_getsym(Elf_Data *data, int ndx, GElf_Sym *dst)
{
	GRAFT_ELF_REAL(gelf_getsym);
	return fn ? fn(data, ndx, dst) : nullptr;
}

size_t gelf_getnote(Elf_Data *data, size_t offset, GElf_Nhdr *result, size_t *name_offset,
		    size_t *desc_offset)
{
	GRAFT_ELF_REAL(gelf_getnote);
	return fn ? fn(data, offset, result, name_offset, desc_offset) : 0;
}

} // extern "C"
