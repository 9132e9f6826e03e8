// SPDX-License-Identifier: MIT
// dl_wrap.cpp - the interposed dlopen and dlerror (exported by libgraft.so, which is
// preloaded): a load a patch refuses fails here, with dlerror() naming the patch and the
// reason, as insmod fails for a module a livepatch refuses. Without the audit module,
// dlopen is also where loads are seen: the new objects are patched when the real dlopen
// returns, after their constructors ran (documented in docs/architecture.md).
//
// The real dlopen must see the application's caller, not libgraft.so: glibc takes the
// caller from dlopen's return address and resolves RUNPATH, $ORIGIN and the link
// namespace against the object it falls in. The wrapper therefore calls the real dlopen
// through graft_loader_call_as (call_as.S) with the address of a `ret` byte of the
// calling object as return address.
#include <dlfcn.h>
#include <link.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include <graft/graft.h>

#include "core/library.hpp"
#include "base/log.hpp"
#include "loader/loader.hpp"
#include "store/autoload.hpp"
#include "symbols/symbols.hpp"

extern "C" void *graft_loader_call_as(void *fn, const char *a, int b, uintptr_t ret);
extern "C" void *graft_loader_call_as3(void *fn, long a, const char *b, int c, uintptr_t ret);

namespace graft::loader {
namespace {

// Per thread, as dlerror's own state. Allocated on a thread's first refusal, so that the
// runtime's static TLS stays a few words: attach mode draws on glibc's small late reserve
// (docs/usage.md). A thread's messages are not freed at its exit (one small block per
// thread that ever saw a refused load; no destructor to register).
struct Messages {
	char refusal[512];
	char error[600];
	bool error_pending;
};
thread_local Messages *msgs;

Messages *messages()
{
	if (!msgs)
		msgs = static_cast<Messages *>(calloc(1, sizeof(Messages)));
	return msgs;
}

using DlopenFn = void *(*)(const char *, int);
using DlcloseFn = int (*)(void *);
using DlerrorFn = char *(*)();

// The C library's functions, looked up once. Looked up before the application can need
// them (loader_init, the first dlopen): a dlsym that succeeds clears the calling
// thread's dlerror() state, so a lazy lookup inside dlerror() would lose the text it
// was asked for.
struct Reals {
	DlopenFn dlopen;
	DlcloseFn dlclose;
	DlerrorFn dlerror;
};

const Reals &reals()
{
	static const Reals r = {reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen")),
				reinterpret_cast<DlcloseFn>(dlsym(RTLD_NEXT, "dlclose")),
				reinterpret_cast<DlerrorFn>(dlsym(RTLD_NEXT, "dlerror"))};
	return r;
}

DlopenFn real_dlopen()
{
	return reals().dlopen;
}

DlcloseFn real_dlclose()
{
	return reals().dlclose;
}

DlerrorFn real_dlerror()
{
	return reals().dlerror;
}

// A `ret` byte in the executable segment holding pc, searched forward from pc then
// backward; 0 if pc is in no loaded object (code the program generated) or its segment
// has none. Under dl_iterate_phdr's lock, so the object cannot be unmapped meanwhile.
struct RetSearch {
	uintptr_t pc;
	uintptr_t found;
};

uintptr_t scan_for_ret(uintptr_t start, uintptr_t end, uintptr_t pc)
{
	for (uintptr_t a = pc; a < end; a++)
		if (*reinterpret_cast<const unsigned char *>(a) == 0xc3)
			return a;
	for (uintptr_t a = pc; a-- > start;)
		if (*reinterpret_cast<const unsigned char *>(a) == 0xc3)
			return a;
	return 0;
}

int find_ret(dl_phdr_info *info, size_t, void *data)
{
	auto *rs = static_cast<RetSearch *>(data);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) &ph = info->dlpi_phdr[i];
		if (ph.p_type != PT_LOAD || (ph.p_flags & (PF_X | PF_R)) != (PF_X | PF_R))
			continue;
		uintptr_t start = info->dlpi_addr + ph.p_vaddr;
		uintptr_t end = start + ph.p_filesz;
		if (rs->pc < start || rs->pc >= end)
			continue;
		rs->found = scan_for_ret(start, end, rs->pc);
		return 1;
	}
	return 0;
}

uintptr_t ret_byte_near(const void *pc)
{
	RetSearch rs{reinterpret_cast<uintptr_t>(pc), 0};
	dl_iterate_phdr(find_ret, &rs);
	return rs.found;
}

// The real dlopen, as if called from the code at caller_pc.
// The caller is in no loaded object (or a segment without a ret byte, never seen):
// glibc then resolves against the program; libgraft.so as the caller differs only by
// its own RUNPATH.
void *dlopen_as(const char *file, int mode, const void *caller_pc)
{
	return dlopen_with(reinterpret_cast<void *>(real_dlopen()), file, mode, caller_pc);
}

} // namespace

// Names and addresses only: where to read each file is looked up for the new objects
// alone, after the dlopen. Every load of a patch goes through here twice (libsodium for
// its hash, then the module), and each full listing read /proc/self/maps and stat'ed
// every loaded object.
Loaded snapshot()
{
	Loaded out;
	for (const symbols::Object &obj : symbols::list_loaded_without_files())
		out.emplace(obj.base, obj.path);
	return out;
}

void patch_new_objects(const Loaded &before, void (*refused)(const std::string &why))
{
	std::vector<symbols::Object> fresh;
	for (symbols::Object &obj : symbols::list_loaded_without_files())
		if (!obj.is_main && !before.count({obj.base, obj.path}))
			fresh.push_back(std::move(obj));
	symbols::add_readable_files(fresh);
	for (const symbols::Object &obj : fresh) {
		std::string why = core::library_coming(obj);
		if (!why.empty())
			refused(why);
	}
}

void set_refusal(const std::string &why)
{
	Messages *m = messages();
	if (!m) {
		log::printf("graft: out of memory: the refusal of a library load is lost: %s",
			    why.c_str());
		return;
	}
	if (!m->refusal[0])
		snprintf(m->refusal, sizeof(m->refusal), "%s", why.c_str());
}

void *dlopen_with(void *real, const char *file, int mode, const void *caller_pc)
{
	uintptr_t ret = ret_byte_near(caller_pc);
	if (!ret)
		return reinterpret_cast<DlopenFn>(real)(file, mode);
	return graft_loader_call_as(real, file, mode, ret);
}

void *dlmopen_with(void *real, long lmid, const char *file, int mode, const void *caller_pc)
{
	uintptr_t ret = ret_byte_near(caller_pc);
	if (!ret)
		return reinterpret_cast<void *(*)(long, const char *, int)>(real)(lmid, file, mode);
	return graft_loader_call_as3(real, lmid, file, mode, ret);
}

void pin_library(const std::string &path)
{
	void *h = real_dlopen()(path.c_str(), RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	if (!h)
		return;
	real_dlclose()(h);
	log::printf("graft: library '%s' stays mapped while patched (start the program with "
		    "'graft run' to have unloads reverted)",
		    path.c_str());
}

// The store's patches loaded for a library before its dlopen: enabled or unloaded now,
// outside the load gate (they take patch_mutex, and an unload closes a module).
void settle_store()
{
	try {
		store::after_dlopen();
	} catch (...) {
		log::printf("graft: out of memory while settling the store's patches");
	}
}

void dl_wrap_init()
{
	reals();
}

} // namespace graft::loader

using namespace graft;

extern "C" GRAFT_API __attribute__((noinline)) void *dlopen(const char *file, int mode)
{
	const void *caller = __builtin_return_address(0);
	loader::reals();
	if (loader::msgs) {
		loader::msgs->refusal[0] = '\0';
		loader::msgs->error_pending = false;
	}
	try {
		store::before_dlopen(file); // the store's patches for this library (issue 18)
	} catch (...) {
	}
	core::load_gate_enter(); // patch_mutex before the loader's locks (core/library.hpp)
	// The snapshot under the gate: a library another thread unloads meanwhile can leave
	// its address to this load's.
	bool track = !loader::audit_attached() && file;
	loader::Loaded before;
	try {
		if (track)
			before = loader::snapshot();
	} catch (...) {
		track = false; // out of memory: the load goes on unpatched
	}
	void *handle = loader::dlopen_as(file, mode, caller);
	try {
		if (handle && track)
			loader::patch_new_objects(before, loader::set_refusal);
	} catch (...) {
		log::printf("graft: out of memory while '%s' loaded: not patched", file);
	}
	loader::Messages *m = loader::msgs;
	if (!handle || !m || !m->refusal[0]) {
		core::load_gate_exit();
		loader::settle_store();
		return handle;
	}
	// Refused: the library's patches were rolled back; unload it again.
	loader::real_dlclose()(handle);
	core::load_gate_exit();
	loader::settle_store();
	snprintf(m->error, sizeof(m->error), "%s: %s", file, m->refusal);
	m->error_pending = true;
	m->refusal[0] = '\0';
	return nullptr;
}

extern "C" GRAFT_API int dlclose(void *handle)
{
	loader::reals();
	core::load_gate_enter(); // as dlopen: la_objclose runs library_going inside
	int ret = loader::real_dlclose()(handle);
	core::load_gate_exit();
	return ret;
}

extern "C" GRAFT_API char *dlerror(void)
{
	loader::Messages *m = loader::msgs;
	if (m && m->error_pending) {
		m->error_pending = false;
		return m->error;
	}
	return loader::real_dlerror()();
}
