/* SPDX-License-Identifier: MIT */
/* liblate.c - libstorelate.so, dlopen'ed by the program after start: its constructor
 * prints what late_value() returns, so a patch applied before the constructors shows. */
#include <stdio.h>

__attribute__((noinline, visibility("default"))) const char *late_value(void)
{
	__asm__ volatile("");
	return "late old";
}

__attribute__((constructor)) static void late_init(void)
{
	printf("ctor: %s\n", late_value());
	fflush(stdout);
}
