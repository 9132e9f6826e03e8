// SPDX-License-Identifier: MIT
// process.cpp - integration-test support: processes, pipes and deadlines.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace graft::test {
namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string> &argv, int in_fd, int out_fd, int err_fd)
{
	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in_fd, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		execvp(args[0], args.data());
		_exit(127);
	}
	return pid;
}

int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

// Waits for pid until the deadline; -1 if it is still running then.
int wait_until(pid_t pid, Clock::time_point deadline)
{
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return decode_status(status);
		if (r < 0)
			return -1;
		if (Clock::now() > deadline)
			return -1;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

// Reads both pipes to EOF (or the deadline), so a chatty child never blocks.
void drain(int out_fd, int err_fd, std::string *out, std::string *err, Clock::time_point deadline)
{
	pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	std::string *sinks[2] = {out, err};
	int open_fds = 2;
	while (open_fds > 0 && Clock::now() < deadline) {
		if (poll(fds, 2, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n > 0) {
				sinks[i]->append(buf, size_t(n));
			} else if (n == 0 || errno != EINTR) {
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
}

} // namespace

std::string out_dir()
{
	return GRAFT_OUT_DIR;
}

CmdResult run(const std::vector<std::string> &argv, int timeout_sec)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		throw std::runtime_error("pipe failed");
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = spawn(argv, devnull, out[1], err[1]);
	close(devnull);
	close(out[1]);
	close(err[1]);
	CmdResult r;
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	drain(out[0], err[0], &r.out, &r.err, deadline);
	close(out[0]);
	close(err[0]);
	r.status = wait_until(pid, deadline);
	if (r.status == -1)
		kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
	return r;
}

CmdResult run_graft(const std::vector<std::string> &args, int timeout_sec)
{
	std::vector<std::string> argv{out_dir() + "/bin/graft"};
	argv.insert(argv.end(), args.begin(), args.end());
	CmdResult r = run(argv, timeout_sec);
	// Every failed graft command says why in the test's output, whether or not the
	// assertion on its result prints r.err (a refusal that depends on the machine's
	// load is otherwise a bare "exit 1").
	if (r.status != 0) {
		std::string line = "[graft";
		for (const std::string &a : args)
			line += " " + a;
		line += "] exit " + std::to_string(r.status) + ": " + r.err;
		if (line.empty() || line.back() != '\n')
			line += '\n';
		fputs(line.c_str(), stderr);
	}
	return r;
}

RuntimeDir::RuntimeDir()
{
	char tmpl[] = "/tmp/graft-test-XXXXXX";
	if (!mkdtemp(tmpl))
		throw std::runtime_error("mkdtemp failed");
	path_ = tmpl;
	setenv("GRAFT_RUNTIME_DIR", path_.c_str(), 1);
}

RuntimeDir::~RuntimeDir()
{
	std::error_code ec;
	std::filesystem::remove_all(path_, ec);
	unsetenv("GRAFT_RUNTIME_DIR");
}

Target::Target(const std::string &program, const std::vector<std::string> &args,
	       const std::vector<std::string> &run_args)
{
	std::vector<std::string> argv{out_dir() + "/bin/graft", "run"};
	argv.insert(argv.end(), run_args.begin(), run_args.end());
	argv.push_back("--");
	argv.push_back(program);
	argv.insert(argv.end(), args.begin(), args.end());
	start(argv);
}

Target::Target(Direct, const std::string &program, const std::vector<std::string> &args)
{
	std::vector<std::string> argv{program};
	argv.insert(argv.end(), args.begin(), args.end());
	start(argv);
}

void Target::start(const std::vector<std::string> &argv)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		throw std::runtime_error("pipe failed");
	pid_ = spawn(argv, in[0], out[1], 2);
	close(in[0]);
	close(out[1]);
	in_ = in[1];
	out_ = out[0];
}

Target::~Target()
{
	if (in_ >= 0)
		close(in_);
	if (pid_ > 0 && status_ == -1 &&
	    wait_until(pid_, Clock::now() + std::chrono::seconds(10)) == -1) {
		kill(pid_, SIGKILL);
		waitpid(pid_, nullptr, 0);
	}
	if (out_ >= 0)
		close(out_);
}

std::string Target::read_line(int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	for (;;) {
		size_t nl = buffer_.find('\n');
		if (nl != std::string::npos) {
			std::string line = buffer_.substr(0, nl);
			buffer_.erase(0, nl + 1);
			return line;
		}
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
										  Clock::now());
		if (left.count() <= 0)
			return "";
		pollfd pfd{out_, POLLIN, 0};
		if (poll(&pfd, 1, int(left.count())) <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(out_, buf, sizeof(buf));
		if (n == 0)
			return "";
		if (n > 0)
			buffer_.append(buf, size_t(n));
	}
}

std::string Target::ask(const std::string &command, int timeout_sec)
{
	std::string line = command + "\n";
	if (write(in_, line.data(), line.size()) != ssize_t(line.size()))
		return "";
	return read_line(timeout_sec);
}

bool Target::wait_ready(int timeout_sec)
{
	auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
	std::string sock =
		std::string(getenv("GRAFT_RUNTIME_DIR")) + "/" + std::to_string(pid_) + ".sock";
	while (Clock::now() < deadline) {
		struct stat st;
		if (stat(sock.c_str(), &st) == 0 &&
		    run_graft({"list", std::to_string(pid_)}).status == 0)
			return true;
		if (!alive())
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return false;
}

bool Target::alive()
{
	if (status_ != -1)
		return false;
	int status;
	if (waitpid(pid_, &status, WNOHANG) == pid_) {
		status_ = decode_status(status);
		return false;
	}
	return true;
}

int Target::finish(int timeout_sec)
{
	if (in_ >= 0) {
		close(in_);
		in_ = -1;
	}
	if (status_ == -1)
		status_ = wait_until(pid_, Clock::now() + std::chrono::seconds(timeout_sec));
	return status_;
}

std::vector<std::string> lines_of(const std::string &text)
{
	std::vector<std::string> out;
	size_t start = 0;
	while (start < text.size()) {
		size_t nl = text.find('\n', start);
		if (nl == std::string::npos)
			nl = text.size();
		out.push_back(text.substr(start, nl - start));
		start = nl + 1;
	}
	return out;
}

long number_after(const std::string &line, const std::string &key)
{
	size_t at = line.find(key + " ");
	if (at == std::string::npos)
		return -1;
	const char *p = line.c_str() + at + key.size() + 1;
	char *end = nullptr;
	long v = strtol(p, &end, 10);
	return end == p ? -1 : v;
}

std::string private_tmp_then(const std::string &then)
{
	// /mnt holds the output directory while /tmp is covered; both mounts are private to
	// the namespace.
	const std::string out = out_dir();
	return "mount --bind '" + out + "' /mnt && mount -t tmpfs graft-test /tmp && mkdir -p '" +
	       out + "' && mount --bind /mnt '" + out + "' && exec " + then;
}

} // namespace graft::test
