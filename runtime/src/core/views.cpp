// SPDX-License-Identifier: MIT
// views.cpp - read-only views of the core for the control server (list, log, info).
#include <unistd.h>

#include "arch/x86_64/site.hpp"
#include "core/api.hpp"
#include "core/func_stack.hpp"
#include "base/log.hpp"
#include "core/transition.hpp"
#include "os/identity.hpp"
#include "shadow/types.hpp"

namespace graft::core {
namespace {

FuncView view_of(const Func &func)
{
	FuncView v;
	v.name = func.name;
	v.sympos = func.sympos;
	v.old_addr = func.old_addr;
	v.new_addr = func.new_addr;
	if (func.site)
		v.entry_kind = arch::site_kind(func.site) == arch::EntryKind::patchable
				       ? "patchable"
				       : "detour";
	v.patched = func.patched;
	const FuncStack *stack = func.patched ? find_func_stack(func.old_addr) : nullptr;
	v.active = stack && stack->funcs.back() == &func;
	return v;
}

PatchView view_of(const Patch &patch)
{
	PatchView pv;
	pv.name = patch.name;
	pv.path = patch.path;
	pv.enabled = patch.enabled;
	pv.replace = patch.replace;
	pv.replaced = patch.replaced;
	for (const auto &obj : patch.objects) {
		ObjectView ov;
		ov.name = obj->name;
		ov.loaded = obj->loaded;
		ov.patched = obj->patched;
		for (const Func &func : obj->funcs)
			ov.funcs.push_back(view_of(func));
		pv.objects.push_back(std::move(ov));
	}
	return pv;
}

} // namespace

const std::string &exe_name()
{
	// Computed once; the executable does not change under a running process (exec
	// starts a new runtime).
	static const std::string name = [] {
		std::string path = os::self_exe_path();
		return path.substr(path.rfind('/') + 1);
	}();
	return name;
}

std::vector<PatchView> patch_list()
{
	std::lock_guard<std::mutex> guard(patch_mutex);
	std::vector<PatchView> out;
	TransitionView tv = transition_view();
	int order = 0;
	for (const auto &p : patches) {
		out.push_back(view_of(*p));
		if (tv.active && tv.patch == p->name)
			out.back().transition = tv.direction;
		if (p->enabled || !out.back().transition.empty())
			out.back().stack_order = ++order;
	}
	return out;
}

// The registry has its own lock: no patch_mutex (the variables are counted by scanning
// the table, which must not hold up patch operations).
std::vector<ShadowTypeView> shadow_type_list()
{
	std::vector<ShadowTypeView> out;
	for (const shadow_vars::TypeInfo &t : shadow_vars::registered_types())
		out.push_back(ShadowTypeView{t.id, t.users, t.variables});
	return out;
}

std::vector<LogLine> log_read(uint64_t after, size_t max)
{
	return log::read(after, max);
}

ProcessInfo process_info()
{
	ProcessInfo info;
	info.pid = getpid();
	info.exe = os::self_exe_path();
	info.runtime_version = GRAFT_VERSION;
	std::lock_guard<std::mutex> guard(patch_mutex);
	info.patches = int(patches.size());
	return info;
}

} // namespace graft::core
