// SPDX-License-Identifier: MIT
// module_info.hpp - what a patch module's descriptor says (its graft_patch_export), read
// from the file without loading it: the CLI must not run a module's code, and a module
// may reference symbols only its target provides.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace graft::cli {

struct ModuleObject {
	std::optional<std::string> name; // graft_object.name; nullopt: the main executable
	std::string build_id;		 // graft_object.build_id (ABI >= 3), "" if none
};

struct ModuleInfo {
	unsigned abi_version = 0;
	bool replace = false;
	std::vector<ModuleObject> objects;
};

// Reads path's descriptor, applying the module's own relocations (R_X86_64_RELATIVE
// and R_X86_64_64 to its defined symbols). Throws Failure naming the file and the cause.
ModuleInfo read_module_info(const std::string &path);

// "libfoo.so.1" or "the executable" for messages.
std::string object_label(const ModuleObject &obj);

} // namespace graft::cli
