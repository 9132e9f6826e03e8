# SPDX-License-Identifier: MIT
# GraftInstall.cmake - what `cmake --install` puts where (docs/install.md). Two
# components, one per Debian package (cmake/GraftPackage.cmake):
#   runtime -> graft      graft, libgraft.so and libgraft-audit.so (private, <libdir>/graft),
#                         graft(1), bash completion, systemd and tmpfiles.d samples
#   dev     -> graft-dev  <graft/graft.h>, find_package(graft), graft.pc, graft-patchgen,
#                         graft-cc/graft-c++, graft-patchgen(1), graft-cc(1), graft-patch(7)
# Files that name an installed path are written when installing, from the prefix of
# that install (cmake --install --prefix P, or /usr for the packages).
set(_share ${CMAKE_INSTALL_DATADIR}/graft)
set(_cmakedir ${CMAKE_INSTALL_DATADIR}/cmake/graft)

function(graft_install_configured template dest component)
  get_filename_component(_name ${template} NAME)
  string(REGEX REPLACE "\\.in$" "" _name ${_name})
  set(_out ${CMAKE_BINARY_DIR}/install-time/${component}/${_name})
  install(CODE "
    set(GRAFT_VERSION \"${PROJECT_VERSION}\")
    set(GRAFT_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    set(GRAFT_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(GRAFT_PKGLIBDIR \"${GRAFT_INSTALL_PKGLIBDIR}\")
    configure_file(\"${template}\" \"${_out}\" @ONLY)" COMPONENT ${component})
  install(FILES ${_out} DESTINATION ${dest} COMPONENT ${component})
endfunction()

# --- runtime ----------------------------------------------------------------------------
install(TARGETS graft_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS graft graft-audit LIBRARY DESTINATION ${GRAFT_INSTALL_PKGLIBDIR}
        COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/graft
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT runtime)
graft_install_configured(${PROJECT_SOURCE_DIR}/cmake/systemd/graft-preload.conf.in
                         ${_share}/systemd runtime)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/systemd/graft-tmpfiles.conf
        DESTINATION ${_share}/tmpfiles.d RENAME graft.conf COMPONENT runtime)

# --- dev ----------------------------------------------------------------------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/graft
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(TARGETS graft_patchgen RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/patchgen/graft-cc
        DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
install(CODE "file(CREATE_LINK graft-cc \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/graft-c++\" SYMBOLIC)"
        COMPONENT dev)

# find_package(graft): graft::headers and graft_add_patch_module().
set_target_properties(graft_headers PROPERTIES EXPORT_NAME headers)
install(TARGETS graft_headers EXPORT graftTargets COMPONENT dev)
install(EXPORT graftTargets NAMESPACE graft:: DESTINATION ${_cmakedir} COMPONENT dev)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/graftConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/graftConfig.cmake
        ${PROJECT_SOURCE_DIR}/cmake/GraftPatchModule.cmake
        ${CMAKE_BINARY_DIR}/cmake/graftConfigVersion.cmake
        DESTINATION ${_cmakedir} COMPONENT dev)
# In the multiarch directory: it names libgraft.so's path.
graft_install_configured(${PROJECT_SOURCE_DIR}/cmake/graft.pc.in
                         ${GRAFT_INSTALL_ARCHLIBDIR}/pkgconfig dev)

# --- man pages: generated from docs/ (cmake/man-page.awk, go-md2man) -------------------
find_program(GO_MD2MAN go-md2man)
if(NOT GO_MD2MAN)
  message(FATAL_ERROR "graft needs go-md2man for its man pages: install the Debian "
                      "package go-md2man (or run scripts/setup-deps.sh)")
endif()
set(_man_out ${GRAFT_OUTPUT_DIR}/man)
set(_man_all "")
foreach(_page graft.1:runtime graft-patchgen.1:dev graft-cc.1:dev graft-patch.7:dev)
  string(REPLACE ":" ";" _page "${_page}")
  list(GET _page 0 _name)
  list(GET _page 1 _component)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" _section ${_name})
  set(_src ${PROJECT_SOURCE_DIR}/docs/man/${_name}.md)
  # Every doc a page includes is a dependency: the page is rebuilt when it changes.
  file(STRINGS ${_src} _incs REGEX "^@include ")
  set(_deps ${_src} ${PROJECT_SOURCE_DIR}/cmake/man-page.awk)
  foreach(_inc ${_incs})
    string(REGEX REPLACE "^@include ([^ ]+).*" "\\1" _inc "${_inc}")
    list(APPEND _deps ${PROJECT_SOURCE_DIR}/${_inc})
  endforeach()
  add_custom_command(OUTPUT ${_man_out}/${_name}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_out}
    COMMAND sh -c "awk -v root='${PROJECT_SOURCE_DIR}' -v version='${PROJECT_VERSION}' -f '${PROJECT_SOURCE_DIR}/cmake/man-page.awk' '${_src}' > '${_man_out}/${_name}.md'"
    COMMAND ${GO_MD2MAN} -in ${_man_out}/${_name}.md -out ${_man_out}/${_name}
    COMMAND gzip -9nf ${_man_out}/${_name}
    DEPENDS ${_deps} VERBATIM)
  list(APPEND _man_all ${_man_out}/${_name}.gz)
  install(FILES ${_man_out}/${_name}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section}
          COMPONENT ${_component})
endforeach()
install(CODE "file(CREATE_LINK graft-cc.1.gz \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}/man1/graft-c++.1.gz\" SYMBOLIC)"
        COMPONENT dev)
add_custom_target(graft_man ALL DEPENDS ${_man_all})
