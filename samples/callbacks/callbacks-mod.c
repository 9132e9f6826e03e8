/* SPDX-License-Identifier: MIT */
/* callbacks-mod.c - libcallbacks_mod.so, the kernel's test_klp_callbacks_mod: a library
 * that only says when its constructor and destructor run. */
#include "say.h"

__attribute__((constructor)) static void callbacks_mod_init(void)
{
	SAY("libcallbacks_mod: callbacks_mod_init");
}

__attribute__((destructor)) static void callbacks_mod_exit(void)
{
	SAY("libcallbacks_mod: callbacks_mod_exit");
}
