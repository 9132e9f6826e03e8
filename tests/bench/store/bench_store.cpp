// SPDX-License-Identifier: MIT
// bench_store.cpp - what the patch store adds: (1) the start of a program that does
// nothing, with the runtime preloaded, without a store and with a store of 1,000 entries
// none of which matches (interleaved, medians); (2) `graft apply --all` over 100 and 500
// processes of one program: the wall time of the command (which waits for every
// transition) and the median of the per-process times its --json reports.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/format.hpp"

extern char **environ;

namespace {

using Clock = std::chrono::steady_clock;

std::string out(const std::string &rel)
{
	return std::string(GRAFT_OUT_DIR) + "/" + rel;
}

std::string temp_dir(const char *what)
{
	std::string tmpl = std::string("/tmp/graft-bench-") + what + "-XXXXXX";
	return mkdtemp(tmpl.data()) ? tmpl : "/tmp";
}

// A store whose index holds n random build-ids (modules that do not exist).
std::string make_store(int n)
{
	std::string dir = temp_dir("store");
	mkdir((dir + "/modules").c_str(), 0755);
	std::mt19937_64 rng(42);
	std::vector<graft::store::IndexEntry> entries;
	entries.resize(static_cast<size_t>(n));
	std::string strings(1, '\0');
	for (int i = 0; i < n; i++) {
		auto &e = entries[size_t(i)];
		for (int b = 0; b < 20; b++)
			e.id[b] = uint8_t(rng());
		e.id_len = 20;
		e.file = uint32_t(strings.size());
		strings += "modules/none-" + std::to_string(i) + ".so";
		strings.push_back('\0');
		e.object = 0;
		e.order = uint32_t(i);
	}
	std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
		return graft::store::compare_id(a.id, a.id_len, b.id, b.id_len) < 0;
	});
	graft::store::IndexHeader h{};
	memcpy(h.magic, graft::store::kIndexMagic, sizeof(h.magic));
	h.version = graft::store::kIndexVersion;
	h.count = uint32_t(n);
	h.strings_size = uint32_t(strings.size());
	std::ofstream f(dir + "/index", std::ios::binary);
	f.write(reinterpret_cast<const char *>(&h), sizeof(h));
	f.write(reinterpret_cast<const char *>(entries.data()),
		std::streamsize(entries.size() * sizeof(entries[0])));
	f << strings;
	return dir;
}

class Env {
public:
	explicit Env(const std::vector<std::string> &extra)
	{
		for (char **e = environ; *e; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "GRAFT_", 6) != 0)
				strings_.push_back(*e);
		strings_.insert(strings_.end(), extra.begin(), extra.end());
		for (std::string &s : strings_)
			ptrs_.push_back(s.data());
		ptrs_.push_back(nullptr);
	}
	char **get() { return ptrs_.data(); }

private:
	std::vector<std::string> strings_;
	std::vector<char *> ptrs_;
};

// stdout goes to out_path (default /dev/null).
pid_t spawn(const std::vector<std::string> &args, char **envp, int in_fd = -1,
	    const std::string &out_path = "/dev/null")
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
	std::vector<char *> argv;
	for (const std::string &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	pid_t pid = -1;
	if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

int reap(pid_t pid)
{
	int status = 0;
	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double run_ms(const std::vector<std::string> &args, Env &env, int *status = nullptr,
	      const std::string &out_path = "/dev/null")
{
	auto t0 = Clock::now();
	int s = reap(spawn(args, env.get(), -1, out_path));
	if (status)
		*status = s;
	return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v.empty() ? 0 : v[v.size() / 2];
}

void BM_StartWithStore1000(benchmark::State &state)
{
	std::string sockets = temp_dir("sock"), store = make_store(1000);
	std::string preload = "LD_PRELOAD=" + out("lib/libgraft.so");
	Env none({preload, "GRAFT_RUNTIME_DIR=" + sockets, "GRAFT_STORE=/nonexistent"});
	Env full({preload, "GRAFT_RUNTIME_DIR=" + sockets, "GRAFT_STORE=" + store});
	std::vector<std::string> prog{out("bench-startup/startup-true")};
	std::vector<double> a, b;
	bool flip = false;
	for (auto _ : state) {
		double x = run_ms(prog, flip ? full : none), y = run_ms(prog, flip ? none : full);
		(flip ? b : a).push_back(x);
		(flip ? a : b).push_back(y);
		flip = !flip;
	}
	state.counters["no_store_ms"] = median(a);
	state.counters["store_1000_ms"] = median(b);
	state.counters["extra_ms"] = median(b) - median(a);
}
BENCHMARK(BM_StartWithStore1000)->Iterations(400)->UseRealTime()->Unit(benchmark::kMillisecond);

// The per-process times ("ms") of apply --all --json's records, and how many were patched.
std::vector<double> process_ms(const std::string &json_path, int *patched)
{
	std::ifstream in(json_path);
	nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
	std::vector<double> out;
	*patched = 0;
	if (j.is_discarded())
		return out;
	for (const auto &p : j["processes"])
		if (p.value("result", "") == "patched") {
			++*patched;
			out.push_back(p.value("ms", 0.0));
		}
	return out;
}

// Whether pid's main thread sleeps in read(2) (syscall 0): started and waiting on stdin.
bool asleep_in_read(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
	long nr = -1;
	return (in >> nr) && nr == 0;
}

// Until every process is ready: with control at start its socket exists, on demand it
// sleeps in read (up to 60 s each).
void wait_started(const std::vector<pid_t> &pids, const std::string &sockets, bool on_demand)
{
	for (pid_t pid : pids) {
		std::string sock = sockets + "/" + std::to_string(pid) + ".sock";
		for (int tries = 0; tries < 1200; tries++) {
			if (on_demand ? asleep_in_read(pid) : access(sock.c_str(), F_OK) == 0)
				break;
			usleep(50000);
		}
	}
}

// n store_prog processes with the runtime; one run of apply --all of the fix, timed until
// every process is patched and its transition complete (the command waits for that).
// Each process's own time (its requests and its transition, 16 processes at a time on
// the machine's cores) comes from the command's --json. Second argument 0: control at
// start (as under graft run); 1: on demand (the preload's default), so the command
// first starts each process's control with ptrace.
void BM_ApplyAll(benchmark::State &state)
{
	int n = int(state.range(0));
	bool on_demand = state.range(1) != 0;
	std::string sockets = temp_dir("sock"), empty = temp_dir("empty");
	Env env({"LD_PRELOAD=" + out("lib/libgraft.so"), "GRAFT_RUNTIME_DIR=" + sockets,
		 "GRAFT_STORE=" + empty, "LD_LIBRARY_PATH=" + out("itest-store/lib-x"),
		 on_demand ? "GRAFT_CONTROL=on-demand" : "GRAFT_CONTROL=at-start"});
	int in[2];
	if (pipe2(in, O_CLOEXEC) != 0) // only the dup2 to stdin reaches the children
		return state.SkipWithError("pipe");
	std::vector<pid_t> pids;
	for (int i = 0; i < n; i++)
		pids.push_back(spawn({out("itest-store/store_prog")}, env.get(), in[0]));
	close(in[0]);
	std::string graft = out("bin/graft"), prog = out("itest-store/store_prog");
	wait_started(pids, sockets, on_demand);
	std::string json_path = sockets + "/apply.json";
	for (auto _ : state) {
		int status = 0, patched = 0;
		double ms = run_ms({graft, "apply", "--all", "--json", "--exe", prog,
				    out("itest-store/modules/10-fix.so")},
				   env, &status, json_path);
		state.SetIterationTime(ms / 1000);
		std::vector<double> each = process_ms(json_path, &patched);
		if (status != 0 || patched != n) {
			state.SkipWithError("apply --all did not patch every process");
			break;
		}
		state.counters["all_patched_ms"] = ms;
		state.counters["process_median_ms"] = median(each);
		state.counters["process_max_ms"] = *std::max_element(each.begin(), each.end());
	}
	close(in[1]); // every store_prog reads EOF and exits
	for (pid_t pid : pids)
		reap(pid);
	state.counters["processes"] = n;
}
BENCHMARK(BM_ApplyAll)
	->Args({100, 0})
	->Args({500, 0})
	->Args({100, 1})
	->Iterations(1)
	->UseManualTime()
	->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
