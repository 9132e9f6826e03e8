// SPDX-License-Identifier: MIT
// fake_core.hpp - a scriptable stand-in for graft::core's api.hpp: records the calls
// the control server makes and answers what the test set up.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/api.hpp"

namespace graft::test {

struct FakeCore {
	std::mutex lock;		// the server thread and the test both touch it
	std::vector<std::string> calls; // "load /p 1", "enable fix", "log 3 10", ...
	core::Result result;		// what patch_* return
	bool throw_next = false;	// the next call throws (it must not escape)
	std::vector<core::PatchView> patches;
	std::vector<core::LogLine> log;
	// transition_status() returns `transition` for the first `active_polls` calls
	// (-1: forever) and no transition after that, as if it completed in the background.
	core::TransitionView transition; // inactive unless a test scripts one
	int active_polls = -1;
	int status_calls = 0;
	core::Result force_result; // what transition_force returns; ok ends the transition
};

FakeCore &fake();
void fake_reset();
std::vector<std::string> fake_calls();

} // namespace graft::test
