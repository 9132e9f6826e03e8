// SPDX-License-Identifier: MIT
// rcu.cpp - liburcu-bp, loaded on first need (rcu.hpp): its functions, globals and the
// reader's thread-local entry resolved once, and the deferred reclamation.
#include "shadow/rcu.hpp"

#include <mutex>
#include <string>

#include "base/log.hpp"

namespace graft::shadow_vars::rcu {

std::atomic<const Lib *> lib{nullptr};
__thread struct urcu_bp_reader **t_reader_slot __attribute__((tls_model("initial-exec")));

namespace {

template <typename T> bool resolve(T **out, const char *name)
{
	*out = os::lazy_function<T>(os::LazyLib::urcu_bp, name);
	return *out != nullptr;
}

// A global variable: the copy the library's own code uses (lazy_data), which is the
// program's when the program links liburcu-bp and reads it (its inline read side does).
template <typename T> bool resolve_data(T **out, const char *name)
{
	*out = static_cast<T *>(os::lazy_data(os::LazyLib::urcu_bp, name));
	return *out != nullptr;
}

bool resolve_all(Lib *l)
{
	return os::lazy_tls(os::LazyLib::urcu_bp, "urcu_bp_reader", &l->reader) &&
	       resolve_data(&l->gp, "urcu_bp_gp") &&
	       resolve_data(&l->has_sys_membarrier, "urcu_bp_has_sys_membarrier") &&
	       resolve(&l->register_thread, "urcu_bp_register_thread") &&
	       resolve(&l->call_rcu, "urcu_bp_call_rcu") &&
	       resolve(&l->before_fork, "urcu_bp_before_fork") &&
	       resolve(&l->after_fork_parent, "urcu_bp_after_fork_parent") &&
	       resolve(&l->after_fork_child, "urcu_bp_after_fork_child") &&
	       resolve(&l->call_rcu_before_fork, "urcu_bp_call_rcu_before_fork") &&
	       resolve(&l->call_rcu_after_fork_parent, "urcu_bp_call_rcu_after_fork_parent") &&
	       resolve(&l->call_rcu_after_fork_child, "urcu_bp_call_rcu_after_fork_child");
}

Lib loaded;
std::once_flag once;

void load_once()
{
	std::string why;
	if (!os::lazy_lib_load(os::LazyLib::urcu_bp, &why) || !resolve_all(&loaded)) {
		log::printf("graft: shadow variables are never freed in this process: "
			    "liburcu-bp cannot be used (%s)",
			    why.empty() ? "a symbol is missing" : why.c_str());
		return;
	}
	lib.store(&loaded, std::memory_order_release); // complete: pairs with lib_get
}

} // namespace

const Lib *lib_load()
{
	std::call_once(once, load_once);
	return lib.load(std::memory_order_acquire);
}

void defer(rcu_head *head, void (*fn)(rcu_head *))
{
	const Lib *l = lib_get();
	if (!l)
		return; // readers were not guarded: keep the memory rather than free it
	tsan_release();
	l->call_rcu(head, fn);
}

} // namespace graft::shadow_vars::rcu
