/* SPDX-License-Identifier: MIT */
/* libtgt.c - the library with the bug, libstoretgt.so.1: built twice with fixed
 * build-ids, the one the patch is for and a "rebuild" (TGT_REBUILD) that has another. */
#include <stdio.h>

#ifdef TGT_REBUILD
#define TGT_TEXT "old (rebuilt)"
#else
#define TGT_TEXT "old"
#endif

__attribute__((noinline, visibility("default"))) const char *tgt_version(void)
{
	__asm__ volatile("");
	return TGT_TEXT;
}
