// SPDX-License-Identifier: MIT
// thread_boot.hpp - hands a creator's patch state to the thread it creates, before the
// thread runs the program's start routine (the kernel copies patch_state on fork).
#pragma once

#include <cstdint>

namespace graft::transition {

using StartFn = void *(*)(void *);

// The creator's half: keeps start, arg and the creator's state (gen, state) for the
// new thread and returns the argument to give the real pthread_create with boot_start
// as start routine. Waits while every handoff slot is taken (threads created but not
// yet started). Never allocates.
void *boot_prepare(StartFn start, void *arg, uint64_t gen, int state);
// The real pthread_create failed: gives back the slot boot_prepare took.
void boot_cancel(void *handoff);
// The new thread's start routine: adopts the creator's state, then runs start(arg).
void *boot_start(void *handoff);
// In a fork child: threads of the parent that had not started yet do not exist there.
void boot_after_fork_child();

} // namespace graft::transition
