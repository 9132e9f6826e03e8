// SPDX-License-Identifier: MIT
// run.cpp - graft run: start a program with libgraft.so preloaded (and the patches
// given to load at start), replacing this process with it.
#include "cli.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <spawn.h>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_deps.hpp"

extern char **environ;

namespace graft::cli {
namespace {

constexpr const char *kDefaultInterp = "/lib64/ld-linux-x86-64.so.2";

bool is_executable_file(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path.c_str(), X_OK) == 0;
}

// The file execvp() will run for name, or "" if it finds none.
std::string resolve_program(const std::string &name)
{
	if (name.find('/') != std::string::npos)
		return name;
	const char *env = getenv("PATH");
	std::string path = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";
	std::stringstream dirs(path);
	std::string dir;
	while (std::getline(dirs, dir, ':')) {
		std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
		if (is_executable_file(candidate))
			return candidate;
	}
	return "";
}

// Runs argv with stdout captured (stderr discarded); "" if it fails.
std::string capture(const std::vector<std::string> &args)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return "";
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	std::vector<char *> argv;
	for (const std::string &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	pid_t child;
	int err = posix_spawn(&child, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	std::string out;
	char buf[4096];
	ssize_t n;
	while (err == 0 && ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			out.append(buf, size_t(n));
	close(fds[0]);
	int status;
	if (err == 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
		}
	return err == 0 ? out : "";
}

// Where the dynamic loader finds soname for lib: `ld.so --list lib` resolves it exactly
// as the program's loader will (RUNPATH, LD_LIBRARY_PATH, ld.so.cache), which beats
// guessing; dlopen()ing a sanitizer runtime into graft itself would abort.
std::string locate_needed(const std::string &lib, const std::string &soname)
{
	std::optional<ElfDeps> self = read_elf_deps("/proc/self/exe");
	std::string interp = self && !self->interp.empty() ? self->interp : kDefaultInterp;
	std::stringstream out(capture({interp, "--list", lib}));
	std::string line;
	const std::string key = soname + " => ";
	while (std::getline(out, line)) {
		size_t at = line.find(key);
		if (at == std::string::npos)
			continue;
		std::string path = line.substr(at + key.size());
		path = path.substr(0, path.find(" ("));
		if (!path.empty() && path[0] == '/')
			return path;
	}
	return "";
}

// The sanitizer runtime to preload before lib for program, or "". Needed even when the
// program itself needs the same runtime: preloaded objects come before the program's
// DT_NEEDED in the initial library list, and ASan insists on being first in it.
std::string sanitizer_preload(const std::string &lib, const std::string &program)
{
	std::optional<ElfDeps> deps = read_elf_deps(lib);
	if (!deps)
		return "";
	std::string soname;
	for (const std::string &n : deps->needed)
		if (is_first_sanitizer_runtime(n))
			soname = n;
	if (soname.empty())
		return "";
	std::optional<ElfDeps> prog = read_elf_deps(resolve_program(program));
	if (prog && links_sanitizer_statically(*prog))
		throw Failure{kExitFailed,
			      "'" + lib + "' needs the shared sanitizer runtime " + soname +
				      " but '" + program +
				      "' has one linked in statically "
				      "(Clang's default): build both with the same compiler, "
				      "or the program with -shared-libsan"};
	std::string path = locate_needed(lib, soname);
	if (path.empty())
		throw Failure{kExitFailed,
			      "'" + lib + "' was built with a sanitizer and needs " + soname +
				      " loaded first, but its path could not be found: "
				      "add it to LD_PRELOAD yourself"};
	return path;
}

std::string patches_value(const std::vector<std::string> &patches)
{
	std::string value;
	for (const std::string &file : patches) {
		char real[PATH_MAX];
		if (!realpath(file.c_str(), real))
			throw Failure{kExitFailed, "patch file '" + file + "' does not exist"};
		if (strchr(real, ':'))
			throw Failure{kExitFailed,
				      "patch file '" + std::string(real) +
					      "' contains ':', which GRAFT_PATCHES cannot carry"};
		value += (value.empty() ? "" : ":") + std::string(real);
	}
	return value;
}

} // namespace

int cmd_run(const std::vector<std::string> &patches, const std::vector<std::string> &command,
	    const Options &)
{
	if (command.empty())
		throw Failure{kExitUsage, "run: no program given"};
	std::string lib = libgraft_path();
	if (access(lib.c_str(), R_OK) != 0)
		throw Failure{kExitFailed, "cannot find the runtime: '" + lib +
						   "' does not exist "
						   "(graft looks in " GRAFT_PKGLIBDIR_FROM_BIN
						   " and ../lib from its own directory)"};
	std::string preload = lib;
	std::string san = sanitizer_preload(lib, command[0]);
	if (!san.empty())
		preload = san + ":" + preload;
	if (const char *old = getenv("LD_PRELOAD"); old && *old)
		preload += std::string(":") + old;
	std::string patch_list = patches_value(patches);
	setenv("LD_PRELOAD", preload.c_str(), 1);
	// The audit module reports libraries loading and unloading at the kernel's moments
	// (before their constructors, after their destructors): see docs/architecture.md.
	// GRAFT_NO_AUDIT=1 leaves LD_AUDIT alone (the dlopen fallback then applies).
	std::string audit = lib.substr(0, lib.rfind('/') + 1) + "libgraft-audit.so";
	const char *no_audit = getenv("GRAFT_NO_AUDIT");
	if ((!no_audit || strcmp(no_audit, "1") != 0) && access(audit.c_str(), R_OK) == 0) {
		if (const char *old = getenv("LD_AUDIT"); old && *old)
			audit = std::string(old) + ":" + audit;
		setenv("LD_AUDIT", audit.c_str(), 1);
	}
	if (!patches.empty())
		setenv("GRAFT_PATCHES", patch_list.c_str(), 1);
	// The program was started under graft to be patched: its control socket and thread
	// from the start (a command needs no ptrace then). A preload elsewhere (LD_PRELOAD,
	// /etc/ld.so.preload) starts them on the first command instead. GRAFT_CONTROL
	// already set wins.
	setenv("GRAFT_CONTROL", "at-start", 0);
	std::vector<char *> argv;
	for (const std::string &a : command)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	execvp(argv[0], argv.data());
	throw Failure{kExitFailed, "cannot run '" + command[0] + "': " + strerror(errno)};
}

} // namespace graft::cli
