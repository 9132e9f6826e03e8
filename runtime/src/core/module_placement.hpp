// SPDX-License-Identifier: MIT
// module_placement.hpp - where a patch module is loaded: within rel32 reach of a PIE
// executable when it patches only that executable, so its functions get direct mode (one
// jump, core/func_stack.cpp); elsewhere where dlopen puts it.
#pragma once

#include <string>

namespace graft::core {

// dlopen(open_path, flags), placing the module within +-2 GiB of the executable when
//  - its descriptor (read from the file) names only the main executable,
//  - the executable is position-independent and far from where the loader maps
//    libraries (a PIE at 0x55..., the libraries at 0x7f...), and
//  - every free gap above the executable's reach can be reserved for the dlopen.
// Otherwise a plain dlopen, as before; when the reservations fail (a gap taken
// meanwhile, an unlimited stack: the bottom-up layout), one log line says why.
void *dlopen_placed(const std::string &open_path, int flags);

} // namespace graft::core
