// SPDX-License-Identifier: MIT
// attach_target.cpp - /proc readers for `graft attach` (see attach_target.hpp). The
// files are the kernel's; ELF files are read with libelf.
#include "attach_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

namespace graft::cli {
namespace {

std::string proc(pid_t pid, const std::string &rest)
{
	return "/proc/" + std::to_string(pid) + "/" + rest;
}

std::string first_line(const std::string &path)
{
	std::ifstream in(path);
	std::string line;
	std::getline(in, line);
	return line;
}

void parse_status_line(const std::string &key, std::istringstream &rest, ProcStatus *st)
{
	if (key == "Name:")
		rest >> st->name;
	else if (key == "State:")
		rest >> st->state;
	else if (key == "TracerPid:")
		rest >> st->tracer;
	else if (key == "Uid:")
		rest >> st->uid >> st->euid;
	else if (key == "Seccomp:")
		rest >> st->seccomp;
	else if (key == "NSpid:")
		while (rest >> st->ns_pid) {
		} // the last one is the innermost namespace's
}

bool file_id(const std::string &path, dev_t *dev, ino_t *ino)
{
	struct stat sb;
	if (stat(path.c_str(), &sb) != 0)
		return false;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return true;
}

bool same_file(const std::string &a, const std::string &b)
{
	dev_t da, db;
	ino_t ia, ib;
	return file_id(a, &da, &ia) && file_id(b, &db, &ib) && da == db && ia == ib;
}

} // namespace

bool read_status(pid_t pid, ProcStatus *st)
{
	std::ifstream in(proc(pid, "status"));
	if (!in)
		return false;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream rest(line);
		std::string key;
		rest >> key;
		parse_status_line(key, rest, st);
	}
	if (!st->ns_pid)
		st->ns_pid = pid;
	return true;
}

std::string comm_of(pid_t pid)
{
	std::string c = first_line(proc(pid, "comm"));
	return c.empty() ? "?" : c;
}

ThreadInfo thread_info(pid_t pid, pid_t tid)
{
	ThreadInfo t;
	t.tid = tid;
	std::string stat = first_line(proc(pid, "task/" + std::to_string(tid) + "/stat"));
	size_t paren = stat.rfind(')');
	if (paren != std::string::npos && paren + 2 < stat.size())
		t.state = stat[paren + 2];
	std::string sc = first_line(proc(pid, "task/" + std::to_string(tid) + "/syscall"));
	if (sc.rfind("running", 0) == 0)
		t.syscall = -1;
	else if (!sc.empty())
		t.syscall = strtol(sc.c_str(), nullptr, 10);
	return t;
}

bool has_control_thread(pid_t pid)
{
	DIR *d = opendir(proc(pid, "task").c_str());
	if (!d)
		return false;
	bool found = false;
	while (dirent *e = readdir(d)) {
		pid_t tid = pid_t(atoi(e->d_name));
		if (tid > 0 &&
		    first_line(proc(pid, "task/" + std::to_string(tid) + "/comm")) == "graft-ctl") {
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

std::vector<ThreadInfo> list_threads(pid_t pid)
{
	std::vector<ThreadInfo> out;
	DIR *d = opendir(proc(pid, "task").c_str());
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		pid_t tid = pid_t(atoi(e->d_name));
		if (tid > 0)
			out.push_back(thread_info(pid, tid));
	}
	closedir(d);
	return out;
}

ProcMaps read_maps(pid_t pid)
{
	ProcMaps m;
	std::ifstream in(proc(pid, "maps"));
	std::string line;
	while (std::getline(in, line)) {
		m.readable = true; // every process maps something: empty means refused
		unsigned long start = 0, end = 0, off = 0;
		char range[80] = "";
		int path_at = 0;
		if (sscanf(line.c_str(), "%79s %*s %lx %*s %*s %n", range, &off, &path_at) < 2)
			continue;
		sscanf(range, "%lx-%lx", &start, &end);
		std::string path = path_at > 0 ? line.substr(size_t(path_at)) : "";
		std::string file = path.substr(path.rfind('/') + 1);
		if (file.find("libgraft.so") != std::string::npos ||
		    path.find("memfd:libgraft") != std::string::npos) {
			if (!m.has_runtime)
				m.runtime_path = path;
			m.has_runtime = true;
		}
		if (file.rfind("ld-musl", 0) == 0 || file.rfind("libc.musl", 0) == 0)
			m.musl = true;
		if (off == 0 && m.libc.path.empty() && file.rfind("libc.so.6", 0) == 0) {
			m.libc.path = path;
			m.libc.base = start;
			m.libc.open_path = proc(pid, "map_files/" + std::string(range));
		}
	}
	return m;
}

std::map<std::string, uintptr_t> dynamic_functions(const std::string &path,
						   const std::vector<std::string> &names)
{
	std::map<std::string, uintptr_t> out;
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return out;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
	for (Elf_Scn *scn = nullptr; elf && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, nullptr);
		size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, int(i), &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (const std::string &want : names)
				if (name && want == name && !out.count(want))
					out[want] = sym.st_value;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return out;
}

bool same_filesystem_view(pid_t pid)
{
	return same_file(proc(pid, "root"), "/proc/self/root") &&
	       same_file(proc(pid, "ns/mnt"), "/proc/self/ns/mnt");
}

} // namespace graft::cli
