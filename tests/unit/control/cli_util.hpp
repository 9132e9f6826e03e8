// SPDX-License-Identifier: MIT
// cli_util.hpp - runs the built `graft` command (stdout and stderr captured) and the
// fixture of the CLI tests, which skip themselves when the CLI has not been built.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "fake_core.hpp"
#include "server_util.hpp"
#include "test_util.hpp"

namespace graft::test {

#ifdef GRAFT_CLI_PATH
inline const char *const kCli = GRAFT_CLI_PATH;
#else
inline const char *const kCli = "";
#endif

struct CliRun {
	int status = -1;
	std::string out, err;
};

inline std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

inline CliRun run_cli(const std::string &args, const std::string &cli = kCli)
{
	TempDir tmp;
	std::string cmd = "'" + cli + "' " + args + " 2>" + tmp.path + "/err";
	CliRun r;
	FILE *p = popen(cmd.c_str(), "r");
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		r.out.append(buf, n);
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.err = slurp(tmp.path + "/err");
	return r;
}

// A stand-in for a process with the runtime: a child that calls listen() on lfd (bound
// by the caller), so the socket's SO_PEERCRED names the child as `graft` requires, and
// then sleeps until killed. The caller accepts on its own copy of lfd. -1 on failure.
inline pid_t fork_listener(int lfd)
{
	int ready[2];
	if (pipe(ready) != 0)
		return -1;
	pid_t child = fork();
	if (child == 0) {
		char ok = listen(lfd, 4) == 0 ? 1 : 0;
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char ok = 0;
	bool listening = child > 0 && read(ready[0], &ok, 1) == 1 && ok == 1;
	close(ready[0]);
	return listening ? child : -1;
}

class Cli : public ::testing::Test {
protected:
	void SetUp() override
	{
		if (!*kCli || access(kCli, X_OK) != 0)
			GTEST_SKIP() << "graft CLI not built";
		fake_reset();
		server_dir(); // also exports GRAFT_RUNTIME_DIR for the CLI
		pid = std::to_string(getpid());
	}
	std::string pid;
};

} // namespace graft::test
