// SPDX-License-Identifier: MIT
// audit.cpp - attaching to libgraft-audit.so (runtime/audit/graft_audit.c), the rtld-audit
// module `graft run` sets in LD_AUDIT, and turning its events into library_coming /
// library_going. The module lives in its own link namespace, so dl_iterate_phdr and
// dlsym from here cannot see it: it is found through _r_debug's list of namespaces
// (glibc >= 2.35, r_version 2) and its entry point through its ELF symbol table.
#include <dlfcn.h>
#include <link.h>

#include <cstring>

#include "core/library.hpp"
#include "base/log.hpp"
#include "loader/loader.hpp"
#include "symbols/symbols.hpp"

namespace graft::loader {
namespace {

// Must match struct graft_audit_ops in runtime/audit/graft_audit.c.
struct AuditOps {
	unsigned int version;
	void (*coming)(link_map **maps, unsigned int n);
	void (*going)(link_map *map);
};
constexpr unsigned int kAuditOpsVersion = 1;
constexpr const char kAuditModule[] = "libgraft-audit.so";

bool attached;

// Both run on the thread that loads or unloads, with the loader's lock held: nothing
// here may call into the loader, and no exception may reach it.
void on_coming(link_map **maps, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		try {
			symbols::Object lib = symbols::object_of(maps[i]);
			if (lib.path.empty())
				continue;
			std::string refusal = core::library_coming(lib);
			if (!refusal.empty())
				set_refusal(refusal);
		} catch (...) {
			log::printf("graft: out of memory while a library loaded: not patched");
		}
	}
}

void on_going(link_map *map)
{
	try {
		symbols::Object lib = symbols::object_of(map);
		if (!lib.path.empty())
			core::library_going(lib);
	} catch (...) {
		log::printf("graft: out of memory while a library unloaded");
	}
}

const AuditOps ops = {kAuditOpsVersion, on_coming, on_going};

bool is_audit_module(const char *path)
{
	if (!path)
		return false;
	const char *base = strrchr(path, '/');
	return strcmp(base ? base + 1 : path, kAuditModule) == 0;
}

// The audit module's link_map, in any namespace but the program's. Read without the
// loader's lock: the constructor runs before the program can dlopen concurrently.
link_map *find_audit_module()
{
	// _r_debug is declared as the old struct r_debug; glibc defines the extended one
	// there. Hide the declaration from the compiler's bounds reasoning.
	r_debug *head = &_r_debug;
	asm("" : "+r"(head));
	auto *ns = reinterpret_cast<r_debug_extended *>(head);
	if (ns->base.r_version < 2)
		return nullptr;
	for (ns = ns->r_next; ns; ns = ns->r_next)
		for (link_map *m = ns->base.r_map; m; m = m->l_next)
			if (is_audit_module(m->l_name))
				return m;
	return nullptr;
}

// The module's exported graft_audit_attach, found with dlsym on its link_map (glibc's
// handles are link_maps): not through a symbol table read with libelf, which would load
// libelf into every process `graft run` starts (it is loaded on first patch otherwise).
bool attach(link_map *module, std::string *why)
{
	void *sym = dlsym(module, "graft_audit_attach");
	if (!sym) {
		*why = "it exports no graft_audit_attach: it is not graft's audit module";
		return false;
	}
	auto fn = reinterpret_cast<int (*)(const AuditOps *)>(sym);
	if (fn(&ops) != 0) {
		*why = "it is from another version of graft";
		return false;
	}
	return true;
}

} // namespace

bool audit_attached()
{
	return attached;
}

void loader_init()
{
	dl_wrap_init();
	link_map *module = find_audit_module();
	std::string why;
	if (module && attach(module, &why)) {
		attached = true;
		return;
	}
	if (module)
		log::printf("graft: cannot use %s (%s): libraries are patched after their "
			    "constructors and pinned while patched",
			    module->l_name, why.c_str());
	core::library_pin = pin_library;
}

} // namespace graft::loader
