// SPDX-License-Identifier: MIT
// bench_trust.cpp - what signature verification costs (docs/performance.md):
// (1) the runtime's own check (trust::verify_candidate: descriptor checks, libsodium
//     opened, BLAKE2b-512 and SHA-256 of the file, Ed25519 twice, libsodium closed) for
//     a signed module against the same call for an unsigned one (which still hashes:
//     SHA-256 is recorded in the audit trail and checked against revoked_hashes);
// (2) `graft load --no-enable` then `graft unload` of a running process, signed with
//     require_signature = yes against unsigned with require_signature = no.
// Modules of about 20 KiB and 1 MiB; the ratios are what matter (same run).
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "trust/verify.hpp"

extern char **environ;

namespace {

std::string out(const std::string &rel)
{
	return std::string(GRAFT_OUT_DIR) + "/" + rel;
}

int run(const std::vector<std::string> &args, bool quiet = true)
{
	std::vector<char *> argv;
	for (const std::string &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	int status = 0;
	if (rc != 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A directory with a key, a policy and two copies of each module: signed/ (with its
// .minisig) and unsigned/.
struct Setup {
	std::string dir;
	Setup()
	{
		char tmpl[] = "/tmp/graft-bench-trust-XXXXXX";
		dir = mkdtemp(tmpl);
		for (const char *sub : {"/keys.d", "/signed", "/unsigned"})
			mkdir((dir + sub).c_str(), 0755);
		run({out("bin/graft"), "keygen", "-p", dir + "/keys.d/k.pub", "-s",
		     dir + "/k.key"});
		for (const char *size : {"20k", "1m"})
			for (const char *sub : {"/signed/", "/unsigned/"}) {
				std::string to = dir + sub + "fix.so";
				to.insert(to.size() - 3, size);
				run({"/bin/cp", out("bench-trust/fix") + size + ".so", to});
				if (std::string(sub) == "/signed/")
					run({out("bin/graft"), "sign", "-s", dir + "/k.key", to});
			}
	}
	~Setup() { run({"/bin/rm", "-rf", dir}); }
	std::string module(bool is_signed, const char *size) const
	{
		return dir + (is_signed ? "/signed/fix" : "/unsigned/fix") + size + ".so";
	}
	void policy(bool require) const
	{
		std::ofstream(dir + "/graft.conf")
			<< "require_signature = " << (require ? "yes" : "no") << "\n";
		setenv("GRAFT_POLICY", (dir + "/graft.conf").c_str(), 1);
	}
};

Setup &setup()
{
	static Setup s;
	return s;
}

const char *size_of(const benchmark::State &state)
{
	return state.range(0) == 0 ? "20k" : "1m";
}

void BM_Verify(benchmark::State &state)
{
	bool is_signed = state.range(1) != 0;
	std::string path = setup().module(is_signed, size_of(state));
	graft::trust::Policy policy;
	std::string why;
	setup().policy(is_signed);
	graft::trust::policy_load(setup().dir + "/graft.conf", geteuid(), &policy, &why);
	graft::trust::Candidate c;
	c.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	c.path = path;
	c.euid = geteuid();
	if (is_signed) {
		std::ifstream in(path + ".minisig");
		c.signature.assign(std::istreambuf_iterator<char>(in), {});
		c.has_signature = true;
	}
	for (auto _ : state) {
		graft::trust::Verdict v = graft::trust::verify_candidate(policy, c, time(nullptr));
		if (!v.ok || v.is_signed != is_signed)
			state.SkipWithError(("verification failed: " + v.error).c_str());
	}
	close(c.fd);
	struct stat st;
	stat(path.c_str(), &st);
	state.counters["bytes"] = double(st.st_size);
}

// A target with the runtime, for the whole of the run.
struct TargetProcess {
	pid_t pid = -1;
	int in = -1;
	TargetProcess()
	{
		// Close-on-exec: the target gets the read end as its stdin only. With the write
		// end inherited too it never saw end-of-file, and the destructor's waitpid
		// hung the benchmark at exit.
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0)
			return;
		std::string lib = "LD_PRELOAD=" + out("lib/libgraft.so");
		std::string prog = out("itest-trust/trust_prog");
		char *argv[] = {const_cast<char *>(prog.c_str()), nullptr};
		std::vector<char *> env{const_cast<char *>(lib.c_str())};
		for (char **e = environ; *e; e++)
			env.push_back(*e);
		env.push_back(nullptr);
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[0], 0);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn(&pid, argv[0], &fa, nullptr, argv, env.data());
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		in = p[1];
		for (int i = 0;
		     i < 3000 && run({out("bin/graft"), "list", std::to_string(pid)}) != 0; i++)
			usleep(10000);
	}
	~TargetProcess()
	{
		close(in);
		waitpid(pid, nullptr, 0);
	}
};

void BM_GraftLoad(benchmark::State &state)
{
	static TargetProcess target;
	bool is_signed = state.range(1) != 0;
	std::string path = setup().module(is_signed, size_of(state));
	std::string pid = std::to_string(target.pid);
	setup().policy(is_signed);
	std::string name = "fix" + std::string(size_of(state));
	for (auto _ : state) {
		if (run({out("bin/graft"), "load", "--no-enable", pid, path}) != 0)
			state.SkipWithError("graft load failed");
		state.PauseTiming();
		run({out("bin/graft"), "unload", pid, name});
		state.ResumeTiming();
	}
}

} // namespace

// Args: {size (0: 20 KiB, 1: 1 MiB), signed}
BENCHMARK(BM_Verify)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GraftLoad)
	->ArgsProduct({{0, 1}, {0, 1}})
	->Unit(benchmark::kMillisecond)
	->UseRealTime();

BENCHMARK_MAIN();
