// SPDX-License-Identifier: MIT
// module_info.hpp - what a patch module's descriptor says, read from its file without
// loading it (the parser is runtime/common/module/, shared with the runtime, which reads
// it to place a module near the executable it patches).
#pragma once

#include <string>

#include "module/module_info.hpp"

namespace graft::cli {

using module::ModuleInfo;
using module::ModuleObject;
using module::object_label;

// Reads and parses path's descriptor. Throws Failure naming the file and the cause.
ModuleInfo read_module_info(const std::string &path);

} // namespace graft::cli
