// SPDX-License-Identifier: MIT
// preload.cpp - graft preload enable|disable|status: the runtime in every new dynamically
// linked process through /etc/ld.so.preload. The file is rewritten whole and renamed
// into place, so a process starting meanwhile reads the old or the new list, never half;
// other entries are kept. enable first checks that a program starts with the library
// preloaded: a broken entry there would break every command of the machine.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "store.hpp"
#include "store/format.hpp"

namespace graft::cli {
namespace {

constexpr const char *kPreloadFile = "/etc/ld.so.preload";

std::vector<std::string> read_lines(const std::string &path)
{
	std::vector<std::string> out;
	std::ifstream in(path);
	for (std::string line; std::getline(in, line);)
		out.push_back(line);
	return out;
}

void write_lines(const std::vector<std::string> &lines)
{
	std::string tmp = std::string(kPreloadFile) + ".graft-tmp";
	std::string data;
	for (const std::string &l : lines)
		data += l + "\n";
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, data.data(), data.size()) == ssize_t(data.size()) &&
		  fsync(fd) == 0;
	if (fd >= 0)
		ok &= close(fd) == 0;
	if (!ok || rename(tmp.c_str(), kPreloadFile) != 0) {
		int err = errno;
		unlink(tmp.c_str());
		throw Failure{kExitFailed,
			      std::string("cannot write ") + kPreloadFile + ": " + strerror(err)};
	}
}

// The library must be root-owned, not writable by others, and a program must start
// with it preloaded.
void check_library(const std::string &lib)
{
	struct stat st;
	if (stat(lib.c_str(), &st) != 0)
		throw Failure{kExitFailed, "the runtime '" + lib + "' does not exist"};
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		throw Failure{kExitFailed,
			      "the runtime '" + lib +
				      "' must be owned by root and "
				      "writable by nobody else before every process loads it"};
	pid_t pid = fork();
	if (pid == 0) {
		setenv("LD_PRELOAD", lib.c_str(), 1);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl("/bin/true", "true", nullptr);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		throw Failure{kExitFailed,
			      "a program does not start with '" + lib +
				      "' preloaded: not enabling it for every process"};
}

bool names_graft(const std::string &line, const std::string &lib)
{
	return line == lib || line.find("/libgraft.so") != std::string::npos;
}

} // namespace

int cmd_preload(const std::string &verb, const Options &opt)
{
	std::string lib = libgraft_path();
	std::vector<std::string> lines = read_lines(kPreloadFile), kept;
	bool present = false;
	for (const std::string &l : lines) {
		if (names_graft(l, lib))
			present = true;
		else
			kept.push_back(l);
	}
	std::string kill =
		store::config_dir_from(getenv("GRAFT_CONFIG_DIR")) + "/" + store::kDisableFile;
	bool killed = access(kill.c_str(), F_OK) == 0;
	if (verb == "enable" && !present) {
		check_library(lib);
		kept.push_back(lib);
		write_lines(kept);
		present = true;
	} else if (verb == "disable" && present) {
		if (kept.empty()) {
			if (unlink(kPreloadFile) != 0)
				throw Failure{kExitFailed, std::string("cannot remove ") +
								   kPreloadFile + ": " +
								   strerror(errno)};
		} else
			write_lines(kept);
		present = false;
	}
	if (opt.json)
		print_json({{"ok", true},
			    {"preload", present},
			    {"file", kPreloadFile},
			    {"library", lib},
			    {"kill_switch", killed},
			    {"kill_switch_file", kill}});
	else
		std::cout << "preload " << (present ? "enabled" : "disabled") << " ("
			  << kPreloadFile << (present ? " names " + lib : "") << "); kill switch "
			  << kill << " "
			  << (killed ? "ON: the runtime does nothing in new processes" : "off")
			  << "\n";
	return kExitOk;
}

} // namespace graft::cli
