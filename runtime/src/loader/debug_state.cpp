// SPDX-License-Identifier: MIT
// debug_state.cpp - attach mode: libraries dlopened after the attach are patched before
// their constructors run, at the moment a debugger learns of them. The dynamic loader
// calls _dl_debug_state() (the address in _r_debug.r_brk, where gdb puts its
// breakpoint) with r_state RT_ADD when a dlopen maps its first new object and
// RT_CONSISTENT once all are mapped, before relocation and constructors - the moment
// the audit module's la_activity(LA_ACT_CONSISTENT) reports in `graft run` (the same
// call site in glibc's dl_open_worker_begin). Its entry is redirected here.
//
// glibc's _dl_debug_state is one `ret` followed by alignment padding (Debian 12,
// measured in shared/research/attach.md): the generic site code cannot relocate a
// `ret`, so the entry is redirected by hand: the padding bytes, which nothing executes,
// get the jump's displacement first, then the `ret` byte becomes the jump's opcode,
// each write followed by a serialisation of every core. A different shape is refused
// (libraries are then patched when dlopen returns, after their constructors).
//
// Lock order: the hook runs on the loading thread with the loader's lock held, so it
// acts only when that thread holds patch_mutex through the load gate (the redirected
// dlopen entered it before calling the loader, as the preloaded wrapper does). A load
// that did not come through dlopen's or dlmopen's entry (glibc's own NSS/iconv loads)
// is not patched (taking patch_mutex here would invert the lock order). New objects
// are those absent from the snapshot the gated load took before calling the loader.
#include <link.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "core/library.hpp"
#include "loader/late.hpp"
#include "loader/loader.hpp"
#include "os/code.hpp"
#include "os/near.hpp"
#include "symbols/symbols.hpp"

namespace graft::loader {
namespace {

constexpr size_t kJmpLen = 5;
constexpr size_t kAlign = 16;

// The state below is touched only by the thread holding the load gate (patch_mutex):
// inside the hook, which acts only then, and in debug_state_begin/after_load_pins.
const Loaded *before;	       // the objects loaded when the gated load began
bool in_hook;		       // library_coming runs from the hook: pins are queued
std::vector<link_map *> fresh; // patched by the hook during the current gated load
std::vector<std::string> pins; // paths to pin once the loader returns

r_debug *base_debug()
{
	// _r_debug is declared as the old struct r_debug; its r_state and r_map are read.
	r_debug *d = &_r_debug;
	asm("" : "+r"(d));
	return d;
}

// By address and path: a library unloaded by another thread before this load took the
// gate can leave its address to the new one (seen: the new library was then taken for
// the old, and its constructor ran unpatched).
bool was_loaded(const link_map *m)
{
	if (before->count({m->l_addr, symbols::path_of(m)}))
		return true;
	for (const link_map *f : fresh)
		if (f == m)
			return true;
	return false;
}

void queue_pin(const std::string &path)
{
	if (!in_hook) {
		pin_library(path);
		return;
	}
	try {
		pins.push_back(path);
	} catch (...) {
		log::printf("graft: out of memory: '%s' is not pinned while patched", path.c_str());
	}
}

void on_coming()
{
	// The program (first) is never new; the rest are new unless loaded before.
	link_map *first = base_debug()->r_map;
	for (link_map *m = first ? first->l_next : nullptr; m; m = m->l_next) {
		if (!m->l_name || !m->l_name[0])
			continue;
		try {
			if (was_loaded(m))
				continue;
			symbols::Object lib = symbols::object_of(m);
			if (lib.path.empty())
				continue;
			fresh.push_back(m);
			in_hook = true;
			std::string refusal = core::library_coming(lib);
			in_hook = false;
			if (!refusal.empty())
				log::printf(
					"graft: a library was loaded although refused (attach mode "
					"cannot fail a dlopen): %s",
					refusal.c_str());
		} catch (...) {
			in_hook = false;
			log::printf("graft: out of memory while a library loaded: patched later");
		}
	}
}

// The loader is about to unmap objects while this thread's load is in progress: its
// dlopen failed after the objects were patched (a relocation, static TLS). They are
// reverted while still mapped; an object that stays (a constructor's dlclose of
// another library) is patched again when dlopen returns.
void on_delete()
{
	for (link_map *m : fresh) {
		try {
			symbols::Object lib = symbols::object_of(m);
			if (!lib.path.empty())
				core::library_going(lib);
		} catch (...) {
			log::printf("graft: out of memory while a failed load was reverted");
		}
	}
	fresh.clear();
	pins.clear();
}

// Called by the loader instead of its `ret`, with its lock held. Never throws.
extern "C" void graft_loader_debug_state()
{
	// The gate first (this thread's own flag): `before` belongs to its holder.
	if (!core::load_gate_held() || !before)
		return;
	switch (base_debug()->r_state) {
	case r_debug::RT_CONSISTENT:
		on_coming();
		break;
	case r_debug::RT_DELETE:
		on_delete();
		break;
	case r_debug::RT_ADD:
		break;
	}
}

bool is_padding(uint8_t b)
{
	// The bytes of the multi-byte NOPs (and int3 fill) assemblers align with.
	static const uint8_t kNop[] = {0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
				       0x40, 0x44, 0x80, 0x90, 0xcc};
	return std::memchr(kNop, b, sizeof kNop) != nullptr;
}

// `ret` at a 16-byte aligned entry, then padding to the next boundary.
bool is_ret_and_padding(uintptr_t entry, size_t size)
{
	const auto *b = reinterpret_cast<const uint8_t *>(entry);
	if (size != 1 || entry % kAlign != 0 || b[0] != 0xc3)
		return false;
	for (size_t i = 1; i < kAlign; i++)
		if (!is_padding(b[i]))
			return false;
	return true;
}

// A stub near the loader: jmp *[rip+0]; .quad graft_loader_debug_state.
uintptr_t make_stub(uintptr_t near, std::string *why)
{
	uintptr_t stub = os::map_near(near, 4096, why);
	if (!stub)
		return 0;
	uint8_t code[14] = {0xff, 0x25, 0, 0, 0, 0};
	auto target = reinterpret_cast<uintptr_t>(&graft_loader_debug_state);
	std::memcpy(code + 6, &target, sizeof target);
	os::code_refresh_maps();
	return os::code_write(stub, code, sizeof code, why) ? stub : 0;
}

} // namespace

bool debug_state_hook_install(std::string *why)
{
	uintptr_t entry = 0;
	size_t size = 0;
	if (!find_symbol("_dl_debug_state", &entry, &size)) {
		*why = "cannot find the loader's _dl_debug_state";
		return false;
	}
	if (!is_ret_and_padding(entry, size)) {
		*why = "the loader's _dl_debug_state is not the expected `ret` and padding";
		return false;
	}
	uintptr_t stub = make_stub(entry, why);
	if (!stub)
		return false;
	auto rel = int32_t(int64_t(stub) - int64_t(entry + kJmpLen));
	core::library_pin = queue_pin;
	// The displacement into padding nothing executes, every core serialised, then the
	// one-byte opcode store: a thread fetches either the old `ret` or the whole jump.
	uint8_t jmp = 0xe9;
	if (!os::code_write(entry + 1, &rel, sizeof rel, why))
		return false;
	os::sync_cores();
	if (!os::code_write(entry, &jmp, 1, why))
		return false;
	os::sync_cores();
	return true;
}

void debug_state_begin(const Loaded *loaded)
{
	before = loaded;
}

void after_load_pins()
{
	before = nullptr;
	fresh.clear();
	std::vector<std::string> todo;
	todo.swap(pins);
	for (const std::string &path : todo)
		pin_library(path);
}

} // namespace graft::loader
