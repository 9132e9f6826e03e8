# SPDX-License-Identifier: MIT
# find_package(graft): for patch module authors.
#   graft::headers                  the ABI, <graft/graft.h> and <graft/graft.hpp>
#   graft_add_patch_module(NAME SOURCES src... [OUTPUT_DIRECTORY dir])
#                                   builds NAME.so, a patch module `graft load` takes
include(${CMAKE_CURRENT_LIST_DIR}/graftTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/GraftPatchModule.cmake)
