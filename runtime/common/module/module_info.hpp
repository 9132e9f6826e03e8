// SPDX-License-Identifier: MIT
// module_info.hpp - what a patch module's descriptor says (its graft_patch_export), read
// from the file's bytes without loading it: the CLI must not run a module's code, a
// module may reference symbols only its target provides, and the runtime decides where
// to place a module (near the executable it patches) before the loader maps it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace graft::module {

struct ModuleObject {
	std::optional<std::string> name; // graft_object.name; nullopt: the main executable
	std::string build_id;		 // graft_object.build_id (ABI >= 3), "" if none
};

struct ModuleInfo {
	unsigned abi_version = 0;
	bool replace = false;
	std::vector<ModuleObject> objects;
};

// Parses the descriptor in data (a module file's bytes), applying the module's own
// relocations (R_X86_64_RELATIVE and R_X86_64_64 to its defined symbols). Everything is
// bounds-checked (the file is input). False with *why, a phrase that follows the
// module's name ("is truncated or corrupt", "does not export 'graft_patch_export'...").
bool parse_module_info(const std::string &data, ModuleInfo *out, std::string *why);

// "libfoo.so.1" or "the executable" for messages.
std::string object_label(const ModuleObject &obj);

} // namespace graft::module
