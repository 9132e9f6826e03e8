// SPDX-License-Identifier: MIT
// attach_test.hpp - what the attach tests share: paths of the programs they start
// without graft, `graft attach` with its JSON result, and /proc checks.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "process.hpp"

namespace graft::test {

inline std::string att_dir()
{
	return out_dir() + "/itest-attach";
}

inline std::string service_path()
{
	return att_dir() + "/attach-service";
}

inline std::string patch_file()
{
	return att_dir() + "/patches/attach-patch.so";
}

// TracerPid of every task of pid: 0 everywhere is true.
inline bool untraced(pid_t pid, std::string *who)
{
	DIR *d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
	bool ok = d != nullptr;
	while (dirent *e = d ? readdir(d) : nullptr) {
		if (e->d_name[0] == '.')
			continue;
		std::ifstream st("/proc/" + std::to_string(pid) + "/task/" + e->d_name + "/status");
		std::string line;
		while (std::getline(st, line))
			if (line.rfind("TracerPid:", 0) == 0 && std::stoi(line.substr(10)) != 0) {
				*who += std::string(e->d_name) + ": " + line + "; ";
				ok = false;
			}
	}
	if (d)
		closedir(d);
	return ok;
}

// `graft attach PID --json`, parsed (null on a failure; r gets the command's output).
inline nlohmann::json attach_json(pid_t pid, CmdResult *r)
{
	*r = run_graft({"attach", std::to_string(pid), "--json"}, 120);
	nlohmann::json j = nlohmann::json::parse(r->out, nullptr, false);
	return r->status == 0 && j.is_object() ? j : nlohmann::json();
}

// graft run as user nobody (65534): its exit status, stderr in *err. Needs root.
inline int run_graft_as_nobody(const std::vector<std::string> &args, std::string *err)
{
	int out[2];
	if (pipe(out) != 0)
		return -1;
	pid_t child = fork();
	if (child == 0) {
		dup2(out[1], 2);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(99);
		std::string graft = out_dir() + "/bin/graft";
		std::vector<char *> argv{const_cast<char *>("graft")};
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(graft.c_str(), argv.data());
		_exit(98);
	}
	close(out[1]);
	char buf[512];
	for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;)
		err->append(buf, size_t(n));
	close(out[0]);
	int status = 0;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A test with the C service started without graft (its own runtime directory), once it
// said "ready".
class ServiceTest : public ::testing::Test {
protected:
	RuntimeDir dir;
	std::unique_ptr<Target> svc;

	void SetUp() override
	{
		svc = std::make_unique<Target>(Target::Direct{}, service_path(),
					       std::vector<std::string>{att_dir()});
		ASSERT_EQ(svc->read_line(), "ready");
	}
	std::string pid() const { return std::to_string(svc->pid()); }
};

} // namespace graft::test
