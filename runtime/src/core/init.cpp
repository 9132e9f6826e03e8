// SPDX-License-Identifier: MIT
// init.cpp - libgraft.so's constructor (preload), graft_attach_boot (attach: called by
// `graft attach` on its boot thread after dlopen) and fork handling: the only code that
// runs because the library was loaded. Both modes start the same runtime; they differ
// only in how library loads and new threads reach it (docs/architecture.md).
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define GRAFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAFT_ASAN 1
#endif
#endif
#ifdef GRAFT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "arch/x86_64/site.hpp"
#include "base/uninstrumented.hpp"
#include "control/control.hpp"
#include "core/api.hpp"
#include "core/config.hpp"
#include "base/log.hpp"
#include "core/library.hpp"
#include "core/patch.hpp"
#include "core/transition.hpp"
#include "loader/late.hpp"
#include "loader/loader.hpp"
#include "shadow/table.hpp"
#include "os/code.hpp"
#include "os/reserve_near.hpp"
#include "store/autoload.hpp"
#include "os/thread_signal.hpp"
#include "transition/context.hpp"
#include "transition/entry_call.hpp"
#include "transition/fcontext_static.hpp"
#include "transition/lazy_binding.hpp"
#include "transition/select.hpp"
#include "transition/thread_boot.hpp"
#include "transition/thread_state.hpp"
#include "trust/audit.hpp"
#include "trust/optout.hpp"

namespace graft::core {
namespace {

// How far the runtime got, for graft_attach_boot, which `graft attach` may call at any
// time on its boot thread: absent (the constructor stayed out of it), starting,
// inert (inert_why says why), waiting (preloaded, control on demand: no socket, no
// thread until a `graft` command starts them) or running (control started). The
// release store of each final state pairs with the acquire loads in
// graft_attach_boot, which then reads inert_why.
enum class Boot { absent, starting, inert, waiting, running };
std::atomic<Boot> boot{Boot::absent};
const char *inert_why = "";
constexpr const char *kDisabled = "the runtime is disabled on this machine (the kill switch: "
				  "/etc/graft/disable or graft.enable=0 on the kernel "
				  "command line)";
// Preloaded without GRAFT_CONTROL=at-start. Written by the constructor before any thread
// of ours exists; read-only afterwards.
bool control_on_demand = false;

bool try_begin(Boot from)
{
	return boot.compare_exchange_strong(from, Boot::starting, std::memory_order_acquire);
}

void set_inert(const char *why)
{
	inert_why = why;
	boot.store(Boot::inert, std::memory_order_release);
}

// Inert because the opt-out rules keep graft out (trust/optout.hpp says which).
const char *set_inert_excluded(const std::string &rule)
{
	static char why[512];
	snprintf(why, sizeof(why), "graft stays out of this process: %s", rule.c_str());
	set_inert(why);
	return why;
}

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

// Fork, as lttng-ust does it: every lock the child may take is held across fork by the
// forking thread, with every signal blocked (a handler on this thread must not run
// between the prepare and the child handler), so the child never inherits one held by
// a thread that does not exist there. Lock order: patch_mutex, the shadow table's shard
// locks, the context registry's, the log ring's, the registry of address-space
// reservations (os/reserve_near.cpp, innermost). A fork from inside dlopen (a
// library constructor) already holds patch_mutex through the load gate. Per-process
// state is re-created in the child: the /proc/self/mem descriptor and the cached
// mappings, the log, the control socket and thread, the transition thread.
__attribute__((tls_model("initial-exec"))) thread_local bool fork_took_patch_mutex;
// The forking thread's signal mask, as the kernel keeps it: its 64 signals, the first 8
// bytes of glibc's 128-byte sigset_t (the rest is never used on Linux). Static TLS is
// scarce for `graft attach` (AttachTls test): 120 bytes saved.
__attribute__((tls_model("initial-exec"))) thread_local uint64_t fork_saved_mask;
static_assert(sizeof(sigset_t) >= sizeof(uint64_t));

void save_mask_blocking_all()
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	std::memcpy(&fork_saved_mask, &old, sizeof(fork_saved_mask));
}

void restore_mask()
{
	sigset_t old;
	sigemptyset(&old);
	std::memcpy(&old, &fork_saved_mask, sizeof(fork_saved_mask));
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void before_fork()
{
	save_mask_blocking_all();
	fork_took_patch_mutex = !load_gate_held();
	if (fork_took_patch_mutex)
		patch_mutex.lock();
	shadow_vars::before_fork();
	transition::context_before_fork();
	log::before_fork();
	os::reserve_before_fork(); // innermost: held only to add or remove a reservation
}

void after_fork_parent()
{
	os::reserve_after_fork_parent();
	log::after_fork_parent();
	transition::context_after_fork();
	shadow_vars::after_fork_parent();
	if (fork_took_patch_mutex)
		patch_mutex.unlock();
	restore_mask();
}

void after_fork_child()
{
	os::reserve_after_fork_child(); // a load's reservations, released by no one there
	log::after_fork_child();
	transition::context_after_fork();
	shadow_vars::after_fork_child();
	transition::thread_state_after_fork_child();
	transition::boot_after_fork_child();
	transition_after_fork_child();
	os::code_after_fork_child(); // the parent's /proc/self/mem must not be written
	bool transition_pending = transition_patch() != nullptr;
	if (fork_took_patch_mutex)
		patch_mutex.unlock();
	log::reset();
	log::printf("graft: runtime in process %d (forked), %zu patch(es) kept", int(getpid()),
		    patches.size());
	if (transition_pending && !load_gate_held())
		transition_worker_prepare(); // not under patch_mutex (core/transition.hpp)
	// On demand, a child starts no thread either: like its parent at its start, it
	// waits for a command (a prefork server's workers stay thread-free), also when the
	// fork came while the boot thread, absent here, was starting the parent's control.
	Boot was = boot.load(std::memory_order_relaxed);
	if (control_on_demand && (was == Boot::running || was == Boot::starting))
		boot.store(Boot::waiting, std::memory_order_release);
	control::control_after_fork_child(!control_on_demand);
	restore_mask();
}

// The patch store (issue 18): patches filed under the build-ids of the loaded objects.
void enable_store_patches()
{
	try {
		store::enable_at_start();
	} catch (...) {
		log::printf("graft: out of memory while reading the patch store: not used");
	}
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

// graft attach's boot thread is made by libc's pthread_create, called by its address,
// so an AddressSanitizer linked into the process never saw it start and never cleared
// the shadow of its stack. In a fork child glibc gives it the cached stack of a thread
// that died with the fork, whose shadow still marks that thread's frames poisoned: the
// first instrumented access to one of our locals there was reported, and the report
// crashed describing a frame that is not there (OnDemand.AForkChildWaitsForItsOwnFirst
// Command, ASan build). Clearing it is what ASan's own thread start does. Nothing
// without ASan.
GRAFT_UNINSTRUMENTED void asan_clear_own_stack()
{
#ifdef GRAFT_ASAN
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	void *low = nullptr;
	size_t size = 0;
	if (pthread_attr_getstack(&attr, &low, &size) == 0)
		__asan_unpoison_memory_region(low, size);
	pthread_attr_destroy(&attr);
#endif
}

// The thread `graft attach` names before it dlopens libgraft.so: there the constructor
// stays inert and graft_attach_boot starts the runtime.
bool on_attach_boot_thread()
{
	char name[17] = "";
	prctl(PR_GET_NAME, name, 0, 0, 0);
	return std::strcmp(name, "graft-boot") == 0;
}

// Everything both modes do; false with *why when code patching is unavailable. Preloaded
// with control on demand, arch_init (the SIGTRAP and thread-check handlers, membarrier,
// the probe that code can be written) waits for the first patch or command (the first
// site installed runs it, as does start_control_on_demand): it was a tenth of a
// preloaded process's start-up (docs/performance.md), and most processes are never
// patched.
bool start(const config::Config &cfg, bool late, std::string *why)
{
	if (cfg.signal && !os::set_thread_signal(cfg.signal))
		log::printf("graft: GRAFT_SIGNAL=%d is not a real-time signal (%d..%d): using %d",
			    cfg.signal, SIGRTMIN, SIGRTMAX, os::thread_signal());
	if ((late || !control_on_demand) && !arch::arch_init(why))
		return false;
	transition::select_init();
	transition::set_context_tracking(cfg.fibers); // chooses fence mode where it can
	if (!cfg.fiber_fence) {
		log::printf("graft: test setting GRAFT_TEST_FIBER_FENCE=off");
		transition::set_context_fence(false);
	} else if (cfg.fibers && !transition::set_context_fence(true)) {
		log::printf("graft: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is refused: "
			    "fiber switches take their context with a CAS");
	}
	if (cfg.entry_switch == "any" || cfg.entry_switch == "never") {
		log::printf("graft: test setting GRAFT_TEST_ENTRY_SWITCH=%s",
			    cfg.entry_switch.c_str());
		transition::set_entry_switch(cfg.entry_switch == "any"
						     ? transition::EntrySwitch::any
						     : transition::EntrySwitch::never);
	}
	transition::find_loader_text(); // the lazy binding path's code, before any transition
	transition::fcontext_redirect_static(); // a Boost.Context linked into the program
	core::set_consistency_model(cfg.consistency);
	pthread_atfork(core::before_fork, core::after_fork_parent, core::after_fork_child);
	atexit(core::transition_quiesce_at_exit);
	loader::loader_init(); // before any patch: libraries loading from now on are seen
	if (late && !loader::late_hooks_install(why))
		return false;
	core::enable_store_patches();
	core::load_startup_patches(cfg.patches);
	return true;
}

// The runtime starts, control excepted; inert with the reason when it cannot.
bool start_preloaded(const config::Config &cfg)
{
	log::printf("graft: runtime %s loaded in process %d (%s)%s", GRAFT_VERSION, int(getpid()),
		    exe_name().c_str(), control_on_demand ? ", control on demand" : "");
	if (!cfg.control_bad.empty())
		log::printf("graft: GRAFT_CONTROL=%s is neither at-start nor on-demand: on demand",
			    cfg.control_bad.c_str());
	std::string why;
	if (!start(cfg, false, &why)) {
		log::printf("graft: code patching is unavailable in this process: %s", why.c_str());
		set_inert("code patching is unavailable in this process (see its graft log)");
		return false;
	}
	return true;
}

// Preloaded, on demand: the control socket and thread the first command asked for.
const char *start_control_on_demand(const char *runtime_dir)
{
	static char failure[512];
	std::string why;
	if (!arch::arch_init(&why)) { // deferred from the constructor (start)
		log::printf("graft: code patching is unavailable in this process: %s", why.c_str());
		snprintf(failure, sizeof(failure), "code patching is unavailable: %s", why.c_str());
		set_inert(failure);
		return failure;
	}
	control::control_set_dir(runtime_dir ? runtime_dir : "");
	trust::audit_expect_attach(); // recorded when `graft` reports (security.md)
	if (!control::control_start(&why)) {
		boot.store(Boot::waiting, std::memory_order_release); // the next command retries
		snprintf(failure, sizeof(failure), "%s", why.c_str());
		return failure;
	}
	if (control_on_demand)
		log::printf("graft: control started on demand");
	boot.store(Boot::running, std::memory_order_release);
	return nullptr;
}

// graft_attach_boot on a runtime that is already there (preloaded, or attached before).
const char *attach_boot_again(const char *runtime_dir)
{
	Boot seen = boot.load(std::memory_order_acquire);
	if (seen == Boot::waiting && try_begin(Boot::waiting))
		return start_control_on_demand(runtime_dir);
	switch (seen) {
	case Boot::inert:
		return inert_why;
	case Boot::running:
		return nullptr;
	default:
		return "the runtime is still starting in this process: try again";
	}
}

} // namespace
} // namespace graft::core

__attribute__((constructor)) static void graft_init()
{
	using namespace graft;
	if (core::on_attach_boot_thread())
		return;
	if (!core::try_begin(core::Boot::absent))
		return;
	// A setuid/setgid (secure-execution) process must not take orders from the
	// environment or a socket: the runtime stays inert there.
	if (getauxval(AT_SECURE))
		return core::set_inert("graft stays out of this process: it is a secure-execution "
				       "(setuid or setgid) process");
	// The administrator's kill switch (/etc/graft/disable, graft.enable=0): inert.
	if (store::runtime_disabled())
		return core::set_inert(core::kDisabled);
	// PID 1, a graft tool, or a process graft.conf excludes: inert, per process.
	if (std::string rule = trust::excluded_here(); !rule.empty()) {
		core::set_inert_excluded(rule);
		return;
	}
	config::Config cfg = config::read_env();
	core::open_log_mirror(cfg.log);
	core::control_on_demand = !cfg.control_at_start;
	if (!core::start_preloaded(cfg))
		return;
	if (core::control_on_demand) {
		core::boot.store(core::Boot::waiting, std::memory_order_release);
		return;
	}
	std::string why;
	bool up = control::control_start(&why); // logs why when it cannot
	core::boot.store(up ? core::Boot::running : core::Boot::waiting, std::memory_order_release);
}

// Attach mode. Runs on the boot thread `graft attach` created (every signal blocked,
// holding no lock). Once: a second call finds the runtime started, or, preloaded with
// control on demand, starts its control socket and thread in the directory given. The
// process's environment is not read (it was not meant for graft): default settings,
// and the socket directory `graft attach` chose. Returns nullptr, or why it failed.
extern "C" GRAFT_API const char *graft_attach_boot(const char *runtime_dir)
{
	using namespace graft;
	static char failure[512];
	core::asan_clear_own_stack(); // before any instrumented access on this thread
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, nullptr); // it was in pause()
	if (!core::try_begin(core::Boot::absent))
		return core::attach_boot_again(runtime_dir);
	if (store::runtime_disabled()) {
		core::set_inert(core::kDisabled);
		return core::inert_why;
	}
	if (std::string rule = trust::excluded_here(); !rule.empty())
		return core::set_inert_excluded(rule);
	log::printf("graft: runtime %s attached to process %d (%s)", GRAFT_VERSION, int(getpid()),
		    core::exe_name().c_str());
	std::string why;
	if (!core::start(config::Config{}, true, &why)) {
		log::printf("graft: code patching is unavailable in this process: %s", why.c_str());
		snprintf(failure, sizeof(failure), "code patching is unavailable: %s", why.c_str());
		core::set_inert(failure);
		return failure;
	}
	return core::start_control_on_demand(runtime_dir);
}
