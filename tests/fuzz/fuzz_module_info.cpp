// SPDX-License-Identifier: MIT
// fuzz_module_info.cpp - libFuzzer target: a patch module's descriptor read from its
// file's bytes (common/module/module_info.cpp), which the runtime now parses before it
// loads a module (to place it near the executable) and the CLI before install and sign.
// Any bytes: it must return, refuse with a cause, never read outside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "module/module_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string bytes(reinterpret_cast<const char *>(data), size);
	graft::module::ModuleInfo info;
	std::string why;
	if (!graft::module::parse_module_info(bytes, &info, &why)) {
		if (why.empty())
			std::abort(); // a refusal must say why
		return 0;
	}
	// Every object is either the executable or named (an empty name is the module's
	// own choice, refused later by the runtime's resolve).
	size_t total = 0;
	for (const auto &obj : info.objects)
		total += graft::module::object_label(obj).size() + obj.build_id.size();
	if (total == SIZE_MAX) // never: uses total, so the labels are really built
		std::abort();
	return 0;
}
