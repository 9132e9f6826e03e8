# SPDX-License-Identifier: MIT
# graft_add_patch_module(NAME SOURCES src... [OUTPUT_DIRECTORY dir])
#
# A patch module: NAME.so (the patch's name is NAME), a MODULE library that includes
# only <graft/graft.h>. Its graft_* calls stay undefined and bind to the libgraft.so
# preloaded in the target when the runtime dlopens the module (docs/writing-patches.md):
#   - position-independent code, no "lib" prefix;
#   - hidden visibility: only graft_patch_export (GRAFT_PATCH) is exported, and the
#     module's calls to its own functions are direct, never interposed by the target's
#     symbols of the same name (-fno-semantic-interposition);
#   - -z now: a missing symbol fails the load, not a later call.
function(graft_add_patch_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_DIRECTORY" "SOURCES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "graft_add_patch_module(${name}): no SOURCES given")
  endif()
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE graft::headers)
  set_target_properties(${name} PROPERTIES PREFIX "" SUFFIX ".so"
    POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${name} PRIVATE -fno-semantic-interposition)
  target_link_options(${name} PRIVATE LINKER:-z,now)
  if(arg_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${arg_OUTPUT_DIRECTORY})
  endif()
endfunction()
