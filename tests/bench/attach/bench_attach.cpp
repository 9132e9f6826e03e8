// SPDX-License-Identifier: MIT
// bench_attach.cpp - `graft attach` on processes of 1, 64 and 512 threads started
// without graft: the time of the whole command (fork/exec of graft to its exit, the
// iteration time) and, from its --json report, how long the borrowed thread was stopped.
// A fresh process per iteration (the runtime is loaded once per process).
// BM_FirstCommandOnDemand: the same target preloaded with libgraft.so, its control on
// demand: the first `graft list` (which starts the control with the same injection) and
// a second one (through the socket), each timed from spawn to exit.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace {

struct Child {
	pid_t pid = -1;
	int in = -1, out = -1;
};

Child spawn(const std::vector<std::string> &args, char **envp = environ)
{
	int in[2], out[2];
	if (pipe(in) || pipe(out))
		abort();
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	std::vector<char *> argv;
	for (const std::string &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	Child c;
	if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), envp) != 0)
		abort();
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	c.in = in[1];
	c.out = out[0];
	return c;
}

std::string read_all(int fd)
{
	std::string s;
	char buf[4096];
	for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
		s.append(buf, size_t(n));
	return s;
}

void finish(Child &c)
{
	kill(c.pid, SIGKILL);
	waitpid(c.pid, nullptr, 0);
	close(c.in);
	close(c.out);
}

// The target's main thread asleep in read(2) (syscall 0), not on its way there inside
// libc, where graft rightly does not borrow it: up to 10 s.
bool asleep_in_read(pid_t pid)
{
	std::string path = "/proc/" + std::to_string(pid) + "/syscall";
	for (int i = 0; i < 10000; i++) {
		FILE *f = fopen(path.c_str(), "r");
		long nr = -1;
		if (f) {
			if (fscanf(f, "%ld", &nr) != 1)
				nr = -1;
			fclose(f);
		}
		if (nr == 0)
			return true;
		usleep(1000);
	}
	return false;
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v.empty() ? 0 : v[v.size() / 2];
}

// threads-target with n threads, once its main thread sleeps in read; pid -1 (and
// nothing left running) when it did not get there.
Child start_target(long n, char **envp = environ)
{
	Child target = spawn(
		{std::string(GRAFT_OUT_DIR) + "/bench-attach/threads-target", std::to_string(n)},
		envp);
	char ready[6];
	if (read(target.out, ready, sizeof(ready)) != sizeof(ready) ||
	    !asleep_in_read(target.pid)) {
		finish(target);
		target.pid = -1;
	}
	return target;
}

// graft ARGS to its exit: the time in ms, its output in *out; -1 when it failed.
double graft_ms(const std::vector<std::string> &args, std::string *out)
{
	auto t0 = std::chrono::steady_clock::now();
	std::vector<std::string> argv{std::string(GRAFT_OUT_DIR) + "/bin/graft"};
	argv.insert(argv.end(), args.begin(), args.end());
	Child graft = spawn(argv);
	close(graft.in);
	*out = read_all(graft.out);
	int status = 0;
	waitpid(graft.pid, &status, 0);
	close(graft.out);
	double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
			    .count();
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

void BM_Attach(benchmark::State &state)
{
	std::vector<double> stopped, total;
	for (auto _ : state) {
		state.PauseTiming();
		Child target = start_target(state.range(0));
		if (target.pid < 0) {
			state.SkipWithError("the target did not start or never slept in read");
			break;
		}
		state.ResumeTiming();
		std::string out;
		double ms = graft_ms({"attach", std::to_string(target.pid), "--json"}, &out);
		state.PauseTiming();
		nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
		finish(target);
		if (ms < 0 || !j.is_object() || !j.value("attached", false)) {
			state.SkipWithError(("graft attach failed: " + out).c_str());
			break; // no ResumeTiming after an error (google benchmark checks it)
		}
		stopped.push_back(j["stopped_us"].get<double>());
		total.push_back(ms);
		state.ResumeTiming();
	}
	state.counters["stopped_us_median"] = median(stopped);
	state.counters["stopped_us_max"] =
		stopped.empty() ? 0 : *std::max_element(stopped.begin(), stopped.end());
	state.counters["attach_ms_median"] = median(total);
	state.counters["attach_ms_max"] =
		total.empty() ? 0 : *std::max_element(total.begin(), total.end());
}
BENCHMARK(BM_Attach)->Arg(1)->Arg(64)->Arg(512)->Iterations(20)->Unit(benchmark::kMillisecond);

// Our environment plus the preload, its control on demand (the default).
std::vector<char *> preload_env(std::vector<std::string> *keep)
{
	for (char **e = environ; *e; e++)
		if (std::string(*e).rfind("GRAFT_CONTROL=", 0) != 0)
			keep->push_back(*e);
	keep->push_back("LD_PRELOAD=" + std::string(GRAFT_OUT_DIR) + "/lib/libgraft.so");
	std::vector<char *> env;
	for (std::string &s : *keep)
		env.push_back(s.data());
	env.push_back(nullptr);
	return env;
}

void BM_FirstCommandOnDemand(benchmark::State &state)
{
	std::vector<std::string> keep;
	std::vector<char *> env = preload_env(&keep);
	std::vector<double> first, second;
	for (auto _ : state) {
		Child target = start_target(state.range(0), env.data());
		if (target.pid < 0) {
			state.SkipWithError("the target did not start or never slept in read");
			break;
		}
		std::string pid = std::to_string(target.pid), out;
		double a = graft_ms({"list", pid, "--json"}, &out);
		double b = a < 0 ? -1 : graft_ms({"list", pid, "--json"}, &out);
		finish(target);
		if (a < 0 || b < 0) {
			state.SkipWithError(("graft list failed: " + out).c_str());
			break;
		}
		first.push_back(a);
		second.push_back(b);
	}
	state.counters["first_ms_median"] = median(first);
	state.counters["second_ms_median"] = median(second);
	state.counters["start_ms_median"] = median(first) - median(second);
}
BENCHMARK(BM_FirstCommandOnDemand)
	->Arg(1)
	->Arg(64)
	->Iterations(20)
	->UseRealTime()
	->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
