// SPDX-License-Identifier: MIT
// trust_fixture.hpp - what the trust tests share: a private directory with a policy
// (GRAFT_POLICY) and its keys.d, keys made by graft keygen and minisign -G, copies of
// the patch module, and the files a process maps.
#pragma once

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "process.hpp"

namespace graft::test {

inline std::string trust_out()
{
	return out_dir() + "/itest-trust";
}

// The files mapped by pid (the path column of /proc/PID/maps): a refused load must not
// add one. Anonymous mappings (a client thread's stack) are left out.
inline std::set<std::string> mapped_files(pid_t pid)
{
	std::set<std::string> files;
	std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
	for (std::string line; std::getline(maps, line);) {
		size_t slash = line.find('/');
		if (slash != std::string::npos)
			files.insert(line.substr(slash));
	}
	return files;
}

inline bool maps_crypto(pid_t pid)
{
	for (const std::string &f : mapped_files(pid))
		if (f.find("libsodium") != std::string::npos ||
		    f.find("libcrypto") != std::string::npos)
			return true;
	return false;
}

class TrustDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/graft-trust-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir = tmpl;
		chmod(dir.c_str(), 0755);
		keys = dir + "/keys.d";
		mkdir(keys.c_str(), 0755);
		policy = dir + "/graft.conf";
		setenv("GRAFT_POLICY", policy.c_str(), 1);
		CmdResult k =
			run_graft({"keygen", "-p", keys + "/graft.pub", "-s", dir + "/graft.key"});
		ASSERT_EQ(k.status, 0) << k.err;
	}
	void TearDown() override
	{
		unsetenv("GRAFT_POLICY");
		std::error_code ec;
		std::filesystem::remove_all(dir, ec);
	}
	void write_file(const std::string &path, const std::string &text, mode_t mode = 0644)
	{
		std::ofstream(path) << text;
		chmod(path.c_str(), mode);
	}
	void write_policy(const std::string &text) { write_file(policy, text); }
	// A copy of the patch module named NAME.so in the directory.
	std::string patch_copy(const std::string &name)
	{
		std::string to = dir + "/" + name + ".so";
		std::filesystem::copy_file(trust_out() + "/fix.so", to,
					   std::filesystem::copy_options::overwrite_existing);
		chmod(to.c_str(), 0644);
		return to;
	}
	CmdResult sign(const std::string &file, const std::vector<std::string> &extra = {})
	{
		std::vector<std::string> args{"sign", "-s", dir + "/graft.key", file};
		args.insert(args.end(), extra.begin(), extra.end());
		return run_graft(args);
	}
	// minisign -V with the trusted key: whether minisign finds the signature valid.
	bool minisign_valid(const std::string &file, const std::string &pub)
	{
		return run({"minisign", "-V", "-q", "-m", file, "-p", pub}).status == 0;
	}

	std::string dir, keys, policy;
	RuntimeDir runtime;
};

} // namespace graft::test
