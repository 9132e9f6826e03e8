// SPDX-License-Identifier: MIT
// bench_startup.cpp - what preloading libgraft.so costs a process that never gets a patch:
// start-up time (spawn, run and reap a program that does nothing) and memory (VmRSS,
// VmHWM, private and proportional pages of an idle program), with and without the
// runtime in the same run. Targets (DESIGN.md): at most +2 ms and +2 MiB.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

extern char **environ;

namespace {

using Clock = std::chrono::steady_clock;

std::string out(const std::string &rel)
{
	return std::string(GRAFT_OUT_DIR) + "/" + rel;
}

// Where the preloaded children put their control sockets (each removes its own at exit).
const std::string &socket_dir()
{
	static const std::string dir = [] {
		char tmpl[] = "/tmp/graft-bench-XXXXXX";
		return std::string(mkdtemp(tmpl) ? tmpl : "/tmp");
	}();
	return dir;
}

// How a preloaded runtime's control starts (GRAFT_CONTROL): on the first command (the
// default of a preload) or with the program (what `graft run` sets).
enum class Control { on_demand, at_start };

// The children's environment: ours without LD_PRELOAD, LD_AUDIT and GRAFT_*, plus the
// runtime if asked (lib, else this build's), and the audit module `graft run` adds
// (with_audit).
class Env {
public:
	explicit Env(bool with_graft, bool with_audit = false, const char *lib = nullptr,
		     Control control = Control::on_demand)
	{
		for (char **e = environ; *e; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "GRAFT_", 6) != 0 &&
			    strncmp(*e, "LD_AUDIT=", 9) != 0)
				strings_.push_back(*e);
		if (with_graft) {
			strings_.push_back("LD_PRELOAD=" +
					   (lib ? std::string(lib) : out("lib/libgraft.so")));
			strings_.push_back("GRAFT_RUNTIME_DIR=" + socket_dir());
			if (control == Control::at_start)
				strings_.push_back("GRAFT_CONTROL=at-start");
		}
		if (with_audit)
			strings_.push_back("LD_AUDIT=" + out("lib/libgraft-audit.so"));
		for (std::string &s : strings_)
			ptrs_.push_back(s.data());
		ptrs_.push_back(nullptr);
	}
	char **get() { return ptrs_.data(); }

private:
	std::vector<std::string> strings_;
	std::vector<char *> ptrs_;
};

// posix_spawn is fork+exec without copying the benchmark's page tables (vfork-style), so
// the measured time is dominated by exec, ld.so and the program itself.
pid_t spawn(const std::string &prog, char **envp, int in_fd = -1, int out_fd = -1)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	char *argv[] = {const_cast<char *>(prog.c_str()), nullptr};
	pid_t pid = -1;
	if (posix_spawn(&pid, prog.c_str(), &fa, nullptr, argv, envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

bool reap_ok(pid_t pid)
{
	int status = 0;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

// One start of startup-true: spawn to reaped, in milliseconds (negative on failure).
double start_once_ms(Env &env)
{
	auto t0 = Clock::now();
	if (!reap_ok(spawn(out("bench-startup/startup-true"), env.get())))
		return -1;
	return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v)
{
	if (v.empty())
		return 0;
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

void BM_Startup(benchmark::State &state)
{
	bool graft = state.range(0) != 0;
	Env env(graft);
	for (auto _ : state)
		if (start_once_ms(env) < 0) {
			state.SkipWithError("startup-true failed");
			break;
		}
	state.SetLabel(graft ? "LD_PRELOAD=libgraft.so" : "plain");
}
BENCHMARK(BM_Startup)
	->ArgName("graft")
	->Arg(0)
	->Arg(1)
	->UseRealTime()
	->Unit(benchmark::kMillisecond);

// Two environments interleaved, so drift on a shared machine hits both alike: the
// medians of each and the difference, as counters named after them.
void interleave(benchmark::State &state, Env &a, Env &b, const char *a_name, const char *b_name)
{
	std::vector<double> ta, tb;
	bool flip = false;
	for (auto _ : state) {
		Env &first = flip ? b : a;
		Env &second = flip ? a : b;
		double x = start_once_ms(first), y = start_once_ms(second);
		if (x < 0 || y < 0) {
			state.SkipWithError("startup-true failed");
			break;
		}
		(flip ? tb : ta).push_back(x);
		(flip ? ta : tb).push_back(y);
		flip = !flip;
	}
	double ma = median(ta), mb = median(tb);
	state.counters[a_name] = ma;
	state.counters[b_name] = mb;
	state.counters["extra_ms"] = mb - ma;
	state.counters["ratio"] = ma > 0 ? mb / ma : 0;
}

void BM_StartupPair(benchmark::State &state)
{
	Env plain(false), graft(true);
	interleave(state, plain, graft, "plain_ms", "graft_ms");
}
BENCHMARK(BM_StartupPair)->UseRealTime()->Unit(benchmark::kMillisecond);

// What control at start costs a process that is never patched: the preload with its
// control on demand (no socket, no thread) against the same with GRAFT_CONTROL=at-start
// (socket and thread from the start, as `graft run` and every preload before control on
// demand), interleaved. A thread must get a CPU at start and again to die at exit (the
// kernel reaps a process only after its last thread), which a loaded machine delays.
void BM_StartupThreadFloor(benchmark::State &state)
{
	Env on_demand(true), at_start(true, false, nullptr, Control::at_start);
	interleave(state, on_demand, at_start, "on_demand_ms", "at_start_ms");
}
BENCHMARK(BM_StartupThreadFloor)->UseRealTime()->Unit(benchmark::kMillisecond);

// What `graft run` adds on top of the preload: the rtld-audit module that reports
// libraries loading and unloading (both with control at start, as `graft run` sets).
void BM_StartupAuditPair(benchmark::State &state)
{
	Env graft(true, false, nullptr, Control::at_start),
		audit(true, true, nullptr, Control::at_start);
	interleave(state, graft, audit, "graft_ms", "graft_audit_ms");
}
BENCHMARK(BM_StartupAuditPair)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace

namespace {

// "Key:   123 kB" fields of a /proc file, in KiB.
std::map<std::string, double> kib_fields(const std::string &path)
{
	std::map<std::string, double> fields;
	std::ifstream in(path);
	std::string line;
	while (std::getline(in, line)) {
		size_t colon = line.find(':');
		if (colon != std::string::npos && line.find(" kB") != std::string::npos)
			fields[line.substr(0, colon)] = std::stod(line.substr(colon + 1));
	}
	return fields;
}

// True when every thread of pid sleeps (and there are want_threads of them; 0: any
// number): a control thread is then parked in accept() and start-up is over.
bool all_threads_asleep(pid_t pid, size_t want_threads)
{
	std::string task = "/proc/" + std::to_string(pid) + "/task";
	std::error_code ec;
	size_t n = 0;
	for (const auto &t : std::filesystem::directory_iterator(task, ec)) {
		std::ifstream in(t.path() / "stat");
		std::string stat((std::istreambuf_iterator<char>(in)), {});
		size_t paren = stat.rfind(')');
		if (paren == std::string::npos || stat.size() < paren + 3 || stat[paren + 2] != 'S')
			return false;
		n++;
	}
	return !ec && n > 0 && (want_threads == 0 || n == want_threads);
}

// The next byte on fd within timeout_ms ("ready\n" arrives in one write).
bool read_ready(int fd, int timeout_ms)
{
	pollfd pfd{fd, POLLIN, 0};
	char buf[16];
	return poll(&pfd, 1, timeout_ms) == 1 && read(fd, buf, sizeof(buf)) > 0;
}

struct Memory {
	double rss = 0, hwm = 0, priv = 0, pss = 0; // KiB
};

// Starts startup-pause, waits until it idles (deadline 10 s), reads its memory, ends it.
bool measure(Env &env, size_t threads, Memory *m)
{
	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC))
		return false;
	pid_t pid = spawn(out("bench-startup/startup-pause"), env.get(), in[0], outp[1]);
	close(in[0]);
	close(outp[1]);
	bool ok = pid > 0 && read_ready(outp[0], 10000);
	auto deadline = Clock::now() + std::chrono::seconds(10);
	while (ok && !all_threads_asleep(pid, threads) && (ok = Clock::now() < deadline))
		usleep(1000);
	if (ok) {
		auto status = kib_fields("/proc/" + std::to_string(pid) + "/status");
		auto rollup = kib_fields("/proc/" + std::to_string(pid) + "/smaps_rollup");
		*m = {status["VmRSS"], status["VmHWM"],
		      rollup["Private_Clean"] + rollup["Private_Dirty"], rollup["Pss"]};
	}
	close(in[1]); // EOF: the program exits
	close(outp[0]);
	return reap_ok(pid) && ok;
}

void BM_Memory(benchmark::State &state)
{
	Env plain(false), graft(true);
	std::vector<double> rss[2], hwm[2], priv[2], pss[2];
	// Both have one thread: graft's control waits for a first command.
	for (auto _ : state) {
		Memory m[2];
		if (!measure(plain, 1, &m[0]) || !measure(graft, 1, &m[1])) {
			state.SkipWithError("startup-pause failed or never idled");
			break;
		}
		for (int i = 0; i < 2; i++) {
			rss[i].push_back(m[i].rss);
			hwm[i].push_back(m[i].hwm);
			priv[i].push_back(m[i].priv);
			pss[i].push_back(m[i].pss);
		}
	}
	state.counters["rss_plain_KiB"] = median(rss[0]);
	state.counters["rss_graft_KiB"] = median(rss[1]);
	state.counters["extra_rss_KiB"] = median(rss[1]) - median(rss[0]);
	state.counters["extra_hwm_KiB"] = median(hwm[1]) - median(hwm[0]);
	state.counters["extra_private_KiB"] = median(priv[1]) - median(priv[0]);
	state.counters["extra_pss_KiB"] = median(pss[1]) - median(pss[0]);
}
BENCHMARK(BM_Memory)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

// Before/after in one run: GRAFT_BENCH_BASELINE_LIB names another libgraft.so (e.g. a
// copy of the previous build's); plain, that one and this build's are started in turn,
// rotating the order, so load drifts hit all three alike. Registered only when set.
void BM_StartupVsBaseline(benchmark::State &state, const char *baseline)
{
	Env envs[3] = {Env(false), Env(true, false, baseline), Env(true)};
	std::vector<double> t[3];
	int turn = 0;
	for (auto _ : state) {
		for (int k = 0; k < 3; k++) {
			int i = (turn + k) % 3;
			double ms = start_once_ms(envs[i]);
			if (ms < 0) {
				state.SkipWithError("startup-true failed");
				return;
			}
			t[i].push_back(ms);
		}
		turn++;
	}
	double plain = median(t[0]), base = median(t[1]), now = median(t[2]);
	state.counters["plain_ms"] = plain;
	state.counters["baseline_ms"] = base;
	state.counters["graft_ms"] = now;
	state.counters["baseline_extra_ms"] = base - plain;
	state.counters["graft_extra_ms"] = now - plain;
}

void BM_MemoryVsBaseline(benchmark::State &state, const char *baseline)
{
	Env envs[3] = {Env(false), Env(true, false, baseline), Env(true)};
	size_t threads[3] = {1, 0, 1}; // the baseline library may start a control thread
	std::vector<double> rss[3], pss[3];
	for (auto _ : state)
		for (int i = 0; i < 3; i++) {
			Memory m;
			if (!measure(envs[i], threads[i], &m)) {
				state.SkipWithError("startup-pause failed or never idled");
				return;
			}
			rss[i].push_back(m.rss);
			pss[i].push_back(m.pss);
		}
	state.counters["rss_plain_KiB"] = median(rss[0]);
	state.counters["baseline_extra_rss_KiB"] = median(rss[1]) - median(rss[0]);
	state.counters["graft_extra_rss_KiB"] = median(rss[2]) - median(rss[0]);
	state.counters["baseline_extra_pss_KiB"] = median(pss[1]) - median(pss[0]);
	state.counters["graft_extra_pss_KiB"] = median(pss[2]) - median(pss[0]);
}

// The command's own start: `graft --help` (output to /dev/null) against startup-true, a
// C program that returns at once (the cost of any process start here), and against
// GRAFT_BENCH_BASELINE_CLI (another build's graft) when set; interleaved, medians.
double run_cli_ms(const std::string &exe, char **envp)
{
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, null_fd, 1);
	char *argv[] = {const_cast<char *>(exe.c_str()), const_cast<char *>("--help"), nullptr};
	auto t0 = Clock::now();
	pid_t pid = -1;
	if (posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, envp) != 0)
		pid = -1;
	bool ok = reap_ok(pid);
	double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
	posix_spawn_file_actions_destroy(&fa);
	close(null_fd);
	return ok ? ms : -1;
}

void BM_CliHelp(benchmark::State &state)
{
	Env env(false);
	const char *baseline = getenv("GRAFT_BENCH_BASELINE_CLI");
	std::vector<double> plain, cli, base;
	for (auto _ : state) {
		double p = start_once_ms(env), c = run_cli_ms(out("bin/graft"), env.get());
		double b = baseline ? run_cli_ms(baseline, env.get()) : 0;
		if (p < 0 || c < 0 || b < 0) {
			state.SkipWithError("startup-true or graft --help failed");
			return;
		}
		plain.push_back(p);
		cli.push_back(c);
		base.push_back(b);
	}
	state.counters["startup_true_ms"] = median(plain);
	state.counters["graft_help_ms"] = median(cli);
	state.counters["graft_help_extra_ms"] = median(cli) - median(plain);
	if (baseline)
		state.counters["baseline_help_extra_ms"] = median(base) - median(plain);
}
BENCHMARK(BM_CliHelp)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char **argv)
{
	if (const char *baseline = getenv("GRAFT_BENCH_BASELINE_LIB")) {
		benchmark::RegisterBenchmark("BM_StartupVsBaseline", BM_StartupVsBaseline, baseline)
			->UseRealTime()
			->Unit(benchmark::kMillisecond);
		benchmark::RegisterBenchmark("BM_MemoryVsBaseline", BM_MemoryVsBaseline, baseline)
			->Iterations(5)
			->UseRealTime()
			->Unit(benchmark::kMillisecond);
	}
	// The floor of a preloaded stub (stub_floor.c) against this build's runtime.
	static const std::string floor = out("bench-startup/libgraft-stub-floor.so");
	benchmark::RegisterBenchmark("BM_StartupVsStubFloor", BM_StartupVsBaseline, floor.c_str())
		->UseRealTime()
		->Unit(benchmark::kMillisecond);
	benchmark::RegisterBenchmark("BM_MemoryVsStubFloor", BM_MemoryVsBaseline, floor.c_str())
		->Iterations(5)
		->UseRealTime()
		->Unit(benchmark::kMillisecond);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	std::error_code ec;
	if (socket_dir() != "/tmp")
		std::filesystem::remove_all(socket_dir(), ec);
	return 0;
}
