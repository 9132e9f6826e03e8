// SPDX-License-Identifier: MIT
// fuzz_control.cpp - libFuzzer target: one control request line, as a client of the
// socket may send it (any bytes), through the server's dispatch (parse, field checks,
// patch-file checks, reply rendering) against the fake core of the control unit tests.
// A reply must be one JSON object with "v" and "ok"; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "control/dispatch.hpp"
#include "control/protocol.hpp"
#include "fake_core.hpp"

namespace {

void check(bool ok)
{
	if (!ok)
		std::abort(); // libFuzzer records the input as a crash
}

// The fake core answers list with one patch, so the reply renderer runs too.
void script_fake(std::string_view line)
{
	graft::test::fake_reset();
	auto &f = graft::test::fake();
	graft::core::PatchView p;
	p.name = std::string(line.substr(0, 16));
	p.enabled = !line.empty() && (line[0] & 1);
	f.patches.push_back(p);
	f.log.push_back({1, 2, std::string(line.substr(0, 32))});
	f.active_polls = 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view line(reinterpret_cast<const char *>(data), size);
	script_fake(line);
	graft::control::Reply r = graft::control::handle_request(line, geteuid());
	auto reply = nlohmann::json::parse(r.line, nullptr, false);
	check(!reply.is_discarded() && reply.is_object());
	check(reply.contains(graft::control::field::version) &&
	      reply.contains(graft::control::field::ok));
	check(r.line.find('\n') == std::string::npos); // one line on the wire
	// The protocol's helpers that read names from the outside.
	pid_t pid = graft::control::pid_of_socket_name(line);
	check(pid >= -1);
	(void)graft::control::patch_name_of(line);
	return 0;
}
