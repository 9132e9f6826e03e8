# SPDX-License-Identifier: MIT
# GraftPackage.cmake - Debian packages with CPack (docs/install.md):
#   graft      the runtime and the graft command          (component runtime)
#   graft-dev  headers, find_package/pkg-config files,
#              graft-patchgen and graft-cc                 (component dev)
# `cpack -G DEB` in a build directory writes graft_VERSION_amd64.deb and
# graft-dev_VERSION_amd64.deb. Dependencies on shared libraries come from
# dpkg-shlibdeps, and on those opened with dlopen from the list below. No maintainer scripts: nothing is started, enabled or created at
# install time (the systemd and tmpfiles.d files are samples).
set(GRAFT_MAINTAINER "graft maintainers <maintainers@users.noreply.h-seed-ead12b6c.example>")

# Each package's /usr/share/doc/PKG: copyright, changelog.gz (a native package: built
# from graft's own tree, no Debian revision) and its docs.
set(_debdir ${CMAKE_BINARY_DIR}/debian)
foreach(_pkg graft:runtime graft-dev:dev)
  string(REPLACE ":" ";" _pkg "${_pkg}")
  list(GET _pkg 0 _name)
  list(GET _pkg 1 _component)
  file(WRITE ${_debdir}/${_name}/changelog
    "${_name} (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
    "  * Built from the graft source tree with CPack.\n\n"
    " -- ${GRAFT_MAINTAINER}  Wed, 02 Dec 2026 00:00:00 +0000\n")
  add_custom_command(OUTPUT ${_debdir}/${_name}/changelog.gz
    COMMAND gzip -9nkf ${_debdir}/${_name}/changelog
    DEPENDS ${_debdir}/${_name}/changelog VERBATIM)
  list(APPEND _changelogs ${_debdir}/${_name}/changelog.gz)
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/copyright
          ${_debdir}/${_name}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${_name} COMPONENT ${_component})
endforeach()
add_custom_target(graft_debian_changelogs ALL DEPENDS ${_changelogs})
# The lintian tags that remain, each with its reason (docs/install.md).
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/graft.lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME graft COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
        ${PROJECT_SOURCE_DIR}/docs/usage.md ${PROJECT_SOURCE_DIR}/docs/cli.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/graft COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/docs/writing-patches.md
        ${PROJECT_SOURCE_DIR}/docs/patchgen.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/graft-dev COMPONENT dev)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME graft)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${GRAFT_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr) # the prefix with CPACK_SET_DESTDIR
# Install with DESTDIR and the real prefix, so the files written at install time
# (graft.pc, the systemd sample) name /usr, not the staging directory.
set(CPACK_SET_DESTDIR ON)
# Stripped as Debian ships binaries (the audit module's graft_audit_attach is in .dynsym).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME graft)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION admin)
# The libraries the runtime and the command open with dlopen, which dpkg-shlibdeps cannot
# see: libsodium (only while a patch is verified: security.md), and libelf, Zydis and
# liburcu-bp (loaded with the first patch: runtime/src/os/lazy_libs.hpp). Each by the
# package that holds the file this build used, as dpkg -S names it.
function(graft_deb_owner out name fallback)
  find_library(_graft_deb_${name} NAMES ${name})
  set(_pkg ${fallback})
  if(_graft_deb_${name})
    get_filename_component(_real ${_graft_deb_${name}} REALPATH)
    execute_process(COMMAND dpkg -S ${_real} OUTPUT_VARIABLE _owner ERROR_QUIET)
    if(_owner MATCHES "^([^:, ]+)")
      set(_pkg ${CMAKE_MATCH_1})
    endif()
  endif()
  set(${out} ${_pkg} PARENT_SCOPE)
endfunction()
graft_deb_owner(_dep_elf elf libelf1)
graft_deb_owner(_dep_zydis Zydis libzydis4.0)
graft_deb_owner(_dep_urcu urcu-bp liburcu8)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libsodium23, ${_dep_elf}, ${_dep_zydis}, ${_dep_urcu}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "minisign")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "live patching for running processes
graft loads a patch module into a running process and replaces functions
while it keeps serving, the way the Linux kernel's livepatch patches a running
kernel: the same patch model, per-thread consistency model, callbacks and
shadow variables. This package holds the runtime (libgraft.so, preloaded into
the processes to patch) and the graft command.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME graft-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "graft (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "gcc | clang, patch")
set(CPACK_COMPONENT_DEV_DESCRIPTION "live patching for running processes - development files
Everything needed to write and build graft patch modules: the ABI header
<graft/graft.h>, a CMake package (find_package(graft), graft_add_patch_module)
and graft.pc for pkg-config, graft-patchgen (a patch module from a source fix)
and its compiler wrappers graft-cc and graft-c++.")
include(CPack)
