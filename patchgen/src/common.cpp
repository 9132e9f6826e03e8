// SPDX-License-Identifier: MIT
// common.cpp - warnings and running commands (posix_spawn, output captured by a pipe).
#include "common.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

extern char **environ;

namespace graft::patchgen {

namespace {
bool g_verbose = false;
}

void warn(const std::string &msg)
{
	std::cerr << "graft-patchgen: warning: " << msg << "\n";
}

void info(const std::string &msg)
{
	if (g_verbose)
		std::cerr << "graft-patchgen: " << msg << "\n";
}

void set_verbose(bool on)
{
	g_verbose = on;
}

namespace {

std::vector<std::string> merged_env(const std::vector<std::string> &extra)
{
	std::vector<std::string> env;
	for (char **e = environ; *e; e++) {
		std::string entry(*e);
		std::string name = entry.substr(0, entry.find('='));
		bool overridden = false;
		for (const auto &x : extra)
			overridden = overridden || x.substr(0, x.find('=')) == name;
		if (!overridden)
			env.push_back(entry);
	}
	env.insert(env.end(), extra.begin(), extra.end());
	return env;
}

std::vector<char *> c_strings(std::vector<std::string> &v)
{
	std::vector<char *> out;
	for (auto &s : v)
		out.push_back(s.data());
	out.push_back(nullptr);
	return out;
}

} // namespace

RunResult run(const std::vector<std::string> &argv_in, const std::string &dir,
	      const std::vector<std::string> &env_in)
{
	std::vector<std::string> argv = argv_in, env = merged_env(env_in);
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		throw Refusal(std::string("cannot create a pipe: ") + std::strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!dir.empty())
		posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
	pid_t pid;
	auto cargv = c_strings(argv), cenv = c_strings(env);
	int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	RunResult res;
	if (rc != 0) {
		close(pipefd[0]);
		res.output = "cannot run " + argv[0] + ": " + std::strerror(rc);
		return res;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			res.output.append(buf, static_cast<size_t>(n));
	close(pipefd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return res;
}

RunResult run_shell(const std::string &cmd, const std::string &dir,
		    const std::vector<std::string> &env)
{
	return run({"/bin/sh", "-c", cmd}, dir, env);
}

std::string read_text(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw Refusal("cannot read '" + path + "'");
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

void write_text(const std::string &path, const std::string &text)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	if (!out || !(out << text))
		throw Refusal("cannot write '" + path + "'");
}

} // namespace graft::patchgen
