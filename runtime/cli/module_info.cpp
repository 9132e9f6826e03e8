// SPDX-License-Identifier: MIT
// module_info.cpp - a patch module's descriptor for the commands: the file read whole,
// then parsed by runtime/common/module/.
#include "module_info.hpp"

#include <fstream>
#include <sstream>

#include "cli.hpp"

namespace graft::cli {

ModuleInfo read_module_info(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw Failure{kExitFailed, "patch module '" + path + "' cannot be read"};
	std::ostringstream s;
	s << in.rdbuf();
	ModuleInfo info;
	std::string why;
	if (!module::parse_module_info(s.str(), &info, &why))
		throw Failure{kExitFailed, "patch module '" + path + "' " + why};
	return info;
}

} // namespace graft::cli
