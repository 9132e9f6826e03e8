// SPDX-License-Identifier: MIT
// init.cpp - libgraft.so's constructor and fork handling: the only code that runs
// because the library was preloaded. It hooks nothing on the application's paths.
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "arch/x86_64/site.hpp"
#include "control/control.hpp"
#include "core/api.hpp"
#include "core/config.hpp"
#include "base/log.hpp"
#include "core/patch.hpp"
#include "core/transition.hpp"
#include "loader/loader.hpp"
#include "shadow/table.hpp"
#include "os/thread_signal.hpp"
#include "transition/context.hpp"
#include "transition/fcontext_static.hpp"
#include "transition/select.hpp"
#include "transition/thread_state.hpp"

namespace graft::core {
namespace {

std::atomic<bool> initialized{false};

void open_log_mirror(const std::string &where)
{
	if (where.empty())
		return;
	if (where == "stderr") {
		log::set_mirror_fd(STDERR_FILENO);
		return;
	}
	int fd = open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		log::set_mirror_fd(fd);
}

// Fork: the child must not inherit a lock held by another thread in the middle of an
// operation, so the parent takes them around fork. Lock order: patch_mutex, then the
// shadow table's shard locks, then the context registry's.
void before_fork()
{
	patch_mutex.lock();
	shadow_vars::before_fork();
	transition::context_before_fork();
}

void after_fork_parent()
{
	transition::context_after_fork();
	shadow_vars::after_fork_parent();
	patch_mutex.unlock();
}

// The child keeps its patches (its memory is a copy) but is a new process: a new log
// and a control socket of its own; the control thread did not survive the fork.
void after_fork_child()
{
	transition::context_after_fork();
	shadow_vars::after_fork_child();
	transition::thread_state_after_fork_child();
	transition_after_fork_child();
	patch_mutex.unlock();
	log::reset();
	log::printf("graft: runtime in process %d (forked), %zu patch(es) kept", int(getpid()),
		    patches.size());
	control::control_after_fork_child();
}

void load_startup_patches(const std::vector<std::string> &paths)
{
	for (const std::string &path : paths) {
		Result r = patch_load(path, true);
		if (!r.ok)
			log::printf("graft: cannot load '%s' at start: %s", path.c_str(),
				    r.error.c_str());
	}
}

} // namespace
} // namespace graft::core

__attribute__((constructor)) static void graft_init()
{
	using namespace graft;
	if (core::initialized.exchange(true))
		return;
	// A setuid/setgid (secure-execution) process must not take orders from the
	// environment or a socket: the runtime stays inert there.
	if (getauxval(AT_SECURE))
		return;
	config::Config cfg = config::read_env();
	core::open_log_mirror(cfg.log);
	log::printf("graft: runtime %s loaded in process %d (%s)", GRAFT_VERSION, int(getpid()),
		    core::exe_name().c_str());
	std::string why;
	if (cfg.signal && !os::set_thread_signal(cfg.signal))
		log::printf("graft: GRAFT_SIGNAL=%d is not a real-time signal (%d..%d): using %d",
			    cfg.signal, SIGRTMIN, SIGRTMAX, os::thread_signal());
	if (!arch::arch_init(&why)) {
		log::printf("graft: code patching is unavailable in this process: %s", why.c_str());
		return;
	}
	if (!os::thread_signal_init(&why)) {
		log::printf("graft: code patching is unavailable in this process: %s", why.c_str());
		return;
	}
	transition::select_init();
	transition::set_context_tracking(cfg.fibers);
	transition::fcontext_redirect_static(); // a Boost.Context linked into the program
	core::set_consistency_model(cfg.consistency);
	pthread_atfork(core::before_fork, core::after_fork_parent, core::after_fork_child);
	atexit(core::transition_quiesce_at_exit);
	loader::loader_init(); // before any patch: libraries loading from now on are seen
	core::load_startup_patches(cfg.patches);
	control::control_start(&why); // logs why when it cannot
}
