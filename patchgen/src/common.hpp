// SPDX-License-Identifier: MIT
// common.hpp - what every part of graft-patchgen shares: the refusal error (exit code 1,
// a reason and a place), warnings, running a command, and an open ELF file.
#pragma once

#include <libelf.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace graft::patchgen {

// Thrown for everything patchgen will not do; main() prints it and exits 1.
// The message says what is refused and where ("file.o: function foo: ...").
class Refusal : public std::runtime_error {
public:
	explicit Refusal(const std::string &msg)
	    : std::runtime_error(msg)
	{
	}
};

// A file descriptor and the libelf handle on it, both closed when it goes.
struct ElfHandle {
	int fd = -1;
	Elf *elf = nullptr;
	ElfHandle() = default;
	ElfHandle(const ElfHandle &) = delete;
	ElfHandle &operator=(const ElfHandle &) = delete;
	~ElfHandle()
	{
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
	}
};

// Printed to stderr as "graft-patchgen: warning: ...".
void warn(const std::string &msg);
// Printed to stderr when --verbose.
void info(const std::string &msg);
void set_verbose(bool on);

struct RunResult {
	int status = -1;    // exit code, 128 + signal
	std::string output; // stdout and stderr together
};

// Runs argv (no shell) in dir (empty: the current one) with extra environment entries
// ("NAME=value"), capturing the output.
RunResult run(const std::vector<std::string> &argv, const std::string &dir = "",
	      const std::vector<std::string> &env = {});
// Runs a shell command line (the user's --build) the same way.
RunResult run_shell(const std::string &cmd, const std::string &dir,
		    const std::vector<std::string> &env);

std::string read_text(const std::string &path);
void write_text(const std::string &path, const std::string &text);

} // namespace graft::patchgen
