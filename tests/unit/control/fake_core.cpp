// SPDX-License-Identifier: MIT
// fake_core.cpp - fake definitions of graft::core's api.hpp for the control tests.
#include "fake_core.hpp"

#include <stdexcept>

#include <unistd.h>

namespace graft::test {

FakeCore &fake()
{
	static FakeCore f;
	return f;
}

void fake_reset()
{
	FakeCore &f = fake();
	std::lock_guard<std::mutex> g(f.lock);
	f.calls.clear();
	f.result = {};
	f.throw_next = false;
	f.patches.clear();
	f.log.clear();
	f.transition = {};
	f.active_polls = -1;
	f.status_calls = 0;
	f.force_result = {};
}

std::vector<std::string> fake_calls()
{
	std::lock_guard<std::mutex> g(fake().lock);
	return fake().calls;
}

namespace {

void record(const std::string &call)
{
	FakeCore &f = fake();
	std::lock_guard<std::mutex> g(f.lock);
	f.calls.push_back(call);
	if (f.throw_next) {
		f.throw_next = false;
		throw std::runtime_error("fake core exploded");
	}
}

core::Result result()
{
	std::lock_guard<std::mutex> g(fake().lock);
	return fake().result;
}

} // namespace
} // namespace graft::test

namespace graft::core {

using test::fake;
using test::record;

Result patch_load(const std::string &path, bool enable)
{
	record("load " + path + " " + (enable ? "1" : "0"));
	return test::result();
}

Result patch_load(const LoadRequest &req)
{
	return patch_load(req.path, req.enable);
}

Result patch_enable(const std::string &name)
{
	record("enable " + name);
	return test::result();
}

Result patch_disable(const std::string &name)
{
	record("disable " + name);
	return test::result();
}

Result patch_unload(const std::string &name)
{
	record("unload " + name);
	return test::result();
}

std::vector<PatchView> patch_list()
{
	record("list");
	std::lock_guard<std::mutex> g(fake().lock);
	return fake().patches;
}

// No shadow types in the fake: `list` replies with an empty shadow_types.
std::vector<ShadowTypeView> shadow_type_list()
{
	return {};
}

std::vector<LogLine> log_read(uint64_t after, size_t max)
{
	record("log " + std::to_string(after) + " " + std::to_string(max));
	std::lock_guard<std::mutex> g(fake().lock);
	std::vector<LogLine> out;
	for (const LogLine &l : fake().log)
		if (l.seq > after && out.size() < max)
			out.push_back(l);
	return out;
}

TransitionView transition_status()
{
	record("status");
	std::lock_guard<std::mutex> g(fake().lock);
	test::FakeCore &f = fake();
	if (f.active_polls >= 0 && f.status_calls++ >= f.active_polls)
		f.transition = {}; // completed
	return f.transition;
}

Result transition_force()
{
	record("force");
	std::lock_guard<std::mutex> g(fake().lock);
	if (fake().force_result.ok)
		fake().transition = {};
	return fake().force_result;
}

ProcessInfo process_info()
{
	record("info");
	std::lock_guard<std::mutex> g(fake().lock);
	return ProcessInfo{int(getpid()), "/usr/bin/fake", "0.1.0", int(fake().patches.size())};
}

} // namespace graft::core
