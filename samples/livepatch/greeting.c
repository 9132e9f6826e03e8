/* SPDX-License-Identifier: MIT */
/* greeting.c - libgreeting.so: the library function that livepatch-lib.so replaces. */
#include "sample_attrs.h"

/* Exported, so the target binds to it through the PLT and a stripped library still
 * names it in .dynsym. */
__attribute__((visibility("default"))) SAMPLE_PATCHABLE const char *greeting_suffix(void)
{
	return SAMPLE_OPAQUE("original greeting");
}
