// SPDX-License-Identifier: MIT
// proc_scan.cpp - /proc/PID/{maps,mem,status,environ} read for `--all`: objects, build-ids
// and where the runtime's socket is.
#include "proc_scan.hpp"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "attach.hpp"
#include "control/protocol.hpp"
#include "store.hpp"

namespace graft::cli {
namespace {

std::string hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;
	for (size_t i = 0; i < n; i++)
		out += {digits[p[i] >> 4], digits[p[i] & 0xf]};
	return out;
}

struct Mem {
	int fd = -1;
	~Mem()
	{
		if (fd >= 0)
			close(fd);
	}
	bool read(uint64_t addr, void *out, size_t n) const
	{
		return fd >= 0 && pread(fd, out, n, off_t(addr)) == ssize_t(n);
	}
};

std::string note_build_id(const Mem &mem, uint64_t addr, uint64_t size)
{
	std::vector<unsigned char> buf(std::min<uint64_t>(size, 4096));
	if (!mem.read(addr, buf.data(), buf.size()))
		return {};
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= buf.size()) {
		Elf64_Nhdr nh;
		memcpy(&nh, &buf[off], sizeof(nh));
		size_t name = off + sizeof(nh), desc = name + ((nh.n_namesz + 3) & ~3u);
		size_t next = desc + ((nh.n_descsz + 3) & ~3u);
		if (desc + nh.n_descsz > buf.size() || next <= off)
			return {};
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(&buf[name], "GNU", 4))
			return hex(&buf[desc], nh.n_descsz);
		off = next;
	}
	return {};
}

std::string soname_at(const Mem &mem, uint64_t bias, uint64_t dyn_addr)
{
	uint64_t strtab = 0, soname = 0;
	bool has = false;
	for (int i = 0; i < 512; i++) {
		Elf64_Dyn d;
		if (!mem.read(dyn_addr + i * sizeof(d), &d, sizeof(d)) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB)
			strtab = d.d_un.d_ptr < bias ? bias + d.d_un.d_ptr : d.d_un.d_ptr;
		else if (d.d_tag == DT_SONAME) {
			soname = d.d_un.d_val;
			has = true;
		}
	}
	char buf[256] = {};
	if (!has || !strtab || !mem.read(strtab + soname, buf, sizeof(buf) - 1))
		return {};
	return buf;
}

// The ELF object whose first page is mapped at start: build-id and soname.
void read_object(const Mem &mem, uint64_t start, ProcObject &obj)
{
	Elf64_Ehdr eh;
	if (!mem.read(start, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return;
	std::vector<Elf64_Phdr> ph(eh.e_phnum);
	if (!mem.read(start + eh.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr)))
		return;
	uint64_t bias = start;
	for (const auto &p : ph)
		if (p.p_type == PT_LOAD) {
			bias = start - (p.p_vaddr & ~uint64_t(0xfff));
			break;
		}
	for (const auto &p : ph) {
		if (p.p_type == PT_NOTE && obj.build_id.empty())
			obj.build_id = note_build_id(mem, bias + p.p_vaddr, p.p_memsz);
		else if (p.p_type == PT_DYNAMIC)
			obj.soname = soname_at(mem, bias, bias + p.p_vaddr);
	}
}

void read_status(ProcInfo &p)
{
	std::istringstream in(read_text("/proc/" + std::to_string(p.pid) + "/status"));
	std::string line;
	p.nspid = p.pid;
	while (std::getline(in, line)) {
		std::istringstream fields(line.substr(line.find(':') + 1));
		if (line.rfind("Name:", 0) == 0)
			fields >> p.comm;
		else if (line.rfind("Uid:", 0) == 0) {
			unsigned real = 0, eff = 0;
			fields >> real >> eff;
			p.uid = eff;
		} else if (line.rfind("NStgid:", 0) == 0) {
			pid_t v;
			while (fields >> v)
				p.nspid = v; // the last one: its own namespace
		}
	}
}

void read_maps(ProcInfo &p)
{
	std::string base = "/proc/" + std::to_string(p.pid);
	std::istringstream maps(read_text(base + "/maps"));
	Mem mem;
	mem.fd = open((base + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
	if (mem.fd < 0)
		p.error = std::string("cannot read its memory: ") + strerror(errno);
	std::set<std::string> seen;
	std::string line;
	bool first = true;
	while (std::getline(maps, line)) {
		uint64_t start = 0, offset = 0;
		char perms[8] = {};
		int path_at = 0;
		if (sscanf(line.c_str(), "%lx-%*x %7s %lx %*s %*s %n", &start, perms, &offset,
			   &path_at) < 3 ||
		    path_at <= 0 || line[size_t(path_at)] != '/')
			continue;
		ProcObject obj;
		obj.path = line.substr(size_t(path_at));
		const std::string del = " (deleted)";
		if (obj.path.size() > del.size() &&
		    obj.path.compare(obj.path.size() - del.size(), del.size(), del) == 0) {
			obj.path.resize(obj.path.size() - del.size());
			obj.deleted = true;
		}
		if (offset != 0 || !seen.insert(obj.path).second)
			continue;
		obj.name = obj.path.substr(obj.path.rfind('/') + 1);
		obj.is_main = first;
		first = false;
		read_object(mem, start, obj);
		p.has_runtime |= obj.name == "libgraft.so";
		p.objects.push_back(std::move(obj));
	}
}

std::string environ_value(const std::string &env, const std::string &key)
{
	for (size_t at = 0; at < env.size();) {
		size_t end = env.find('\0', at);
		if (end == std::string::npos)
			end = env.size();
		if (env.compare(at, key.size() + 1, key + "=") == 0)
			return env.substr(at + key.size() + 1, end - at - key.size() - 1);
		at = end + 1;
	}
	return {};
}

} // namespace

std::string read_text(const std::string &path)
{
	std::ifstream in(path);
	std::ostringstream s;
	s << in.rdbuf();
	return s.str();
}

const ProcObject *ProcInfo::find(const std::string &name, bool main) const
{
	for (const ProcObject &o : objects)
		if (main ? o.is_main : (o.name == name || o.soname == name))
			return &o;
	return nullptr;
}

std::vector<pid_t> list_pids()
{
	std::vector<pid_t> out;
	DIR *d = opendir("/proc");
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		pid_t pid = control::pid_of_socket_name(std::string(e->d_name) + ".sock");
		if (pid > 0 && pid != getpid())
			out.push_back(pid);
	}
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

ProcInfo scan_process(pid_t pid)
{
	ProcInfo p;
	p.pid = pid;
	read_status(p);
	read_maps(p);
	p.on_demand = p.has_runtime && !has_control_thread(pid);
	if (p.objects.empty() && p.error.empty())
		p.error = "no mapped objects (a kernel thread, or it exited)";
	return p;
}

std::string file_build_id(const std::string &path)
{
	Mem file; // pread by file offset
	file.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	if (!file.read(0, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return {};
	std::vector<Elf64_Phdr> ph(eh.e_phnum);
	if (!file.read(eh.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr)))
		return {};
	for (const auto &p : ph)
		if (p.p_type == PT_NOTE)
			if (std::string id = note_build_id(file, p.p_offset, p.p_filesz);
			    !id.empty())
				return id;
	return {};
}

std::string socket_of(const ProcInfo &proc)
{
	std::string env = read_text("/proc/" + std::to_string(proc.pid) + "/environ");
	std::string graft_dir = environ_value(env, "GRAFT_RUNTIME_DIR");
	std::string xdg = environ_value(env, "XDG_RUNTIME_DIR");
	std::string dir = control::runtime_dir_from(graft_dir.c_str(), xdg.c_str(), proc.uid);
	std::string path = "/proc/" + std::to_string(proc.pid) + "/root" +
			   control::socket_path(dir, proc.nspid);
	if (access(path.c_str(), F_OK) != 0)
		return control_socket_of(proc.pid);
	return path;
}

} // namespace graft::cli
