// SPDX-License-Identifier: MIT
// autoload.hpp - new processes get their patches from the patch store with no command:
// at start, every loaded object's build-id is looked up in the store's index and the
// matching modules are enabled before main, in file order; a library dlopen'ed later
// gets the modules filed for its name, enabled if its build-id is theirs.
#pragma once

namespace graft::store {

// The global kill switch: $GRAFT_CONFIG_DIR/disable (default /etc/graft/disable) exists,
// or the kernel command line says graft.enable=0. The constructor then does nothing.
bool runtime_disabled();

// From the constructor, after the loader layer is hooked and before GRAFT_PATCHES.
// Every failure is logged and skipped; nothing here can stop the process.
void enable_at_start();

// Around the real dlopen of file, in the dlopen wrapper (not reentrant: the loads it
// makes itself pass through the wrapper and are ignored).
void before_dlopen(const char *file);
void after_dlopen();

} // namespace graft::store
