// SPDX-License-Identifier: MIT
// store_fixture.hpp - one private world per test: a patch store, a library directory
// (a copy of libstoretgt.so.1) and a configuration directory (the kill switch), all under
// the build's output directory (not /tmp: a target with a private /tmp must see them),
// passed to targets and graft commands through GRAFT_STORE, LD_LIBRARY_PATH and
// GRAFT_CONFIG_DIR. Never the machine's /var/lib/graft or /etc/graft. The world's policy
// (GRAFT_CONFIG_DIR/graft.conf) turns signatures off: these tests are about the store;
// signed_test.cpp holds the store's loads to the default policy.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "process.hpp"

namespace graft::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

class StoreWorld : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::string tmpl = out_dir() + "/itest-store/world-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
		dir_ = tmpl;
		fs::create_directories(dir_ + "/lib");
		fs::create_directories(dir_ + "/etc");
		// A copy of the program per test: --exe then selects this test's processes
		// only, even while other tests run theirs.
		fs::copy_file(out_dir() + "/itest-store/store_prog", prog());
		fs::copy_file(out_dir() + "/itest-store/store_other", other_prog());
		use_lib("x");
		setenv("GRAFT_STORE", store().c_str(), 1);
		setenv("GRAFT_CONFIG_DIR", (dir_ + "/etc").c_str(), 1);
		setenv("LD_LIBRARY_PATH", (dir_ + "/lib").c_str(), 1);
		write_policy("require_signature = no\n");
	}

	std::string policy() const { return dir_ + "/etc/graft.conf"; }
	// Replaces the world's policy (mode 0644: the runtime refuses a writable one).
	void write_policy(const std::string &text)
	{
		std::ofstream(policy(), std::ios::trunc) << text;
		fs::permissions(policy(), fs::perms(0644));
	}

	void TearDown() override
	{
		unsetenv("GRAFT_STORE");
		unsetenv("GRAFT_CONFIG_DIR");
		unsetenv("LD_LIBRARY_PATH");
		std::error_code ec;
		fs::remove_all(dir_, ec);
	}

	std::string store() const { return dir_ + "/store"; }
	std::string lib_path() const { return dir_ + "/lib/libstoretgt.so.1"; }
	std::string prog() const { return dir_ + "/store_prog"; }
	std::string other_prog() const { return dir_ + "/store_other"; }
	static std::string module(const std::string &name)
	{
		return out_dir() + "/itest-store/modules/" + name + ".so";
	}
	static std::string late_lib() { return out_dir() + "/itest-store/libstorelate.so"; }

	// Puts build "x" or "y" of libstoretgt.so.1 at lib_path() by rename(), as a
	// package upgrade does: processes that map the old file keep it (deleted).
	void use_lib(const std::string &v)
	{
		std::string tmp = dir_ + "/lib/.new";
		fs::copy_file(out_dir() + "/itest-store/lib-" + v + "/libstoretgt.so.1", tmp,
			      fs::copy_options::overwrite_existing);
		fs::rename(tmp, lib_path());
	}

	// graft ARGS, with stderr in the failure message of the caller's assertion.
	static CmdResult graft(const std::vector<std::string> &args)
	{
		return run_graft(args, 180);
	}

	static std::string read_file(const std::string &path)
	{
		std::ifstream in(path);
		std::ostringstream s;
		s << in.rdbuf();
		return s.str();
	}

	// The records of graft status --all --json for these pids (by pid).
	std::map<int, json> status_all(const std::vector<std::string> &extra = {})
	{
		std::vector<std::string> args{"status", "--all", "--json", "--exe", prog()};
		args.insert(args.end(), extra.begin(), extra.end());
		CmdResult r = graft(args);
		std::map<int, json> out;
		json j = json::parse(r.out, nullptr, false);
		if (j.is_discarded())
			ADD_FAILURE() << "status --all: " << r.out << r.err;
		else
			for (const json &p : j["processes"])
				out[p["pid"].get<int>()] = p;
		return out;
	}

	RuntimeDir runtime_;
	std::string dir_;
};

} // namespace graft::test
