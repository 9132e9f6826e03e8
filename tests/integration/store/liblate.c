/* SPDX-License-Identifier: MIT */
/* liblate.c - libstorelate.so, dlopen'ed by the program after start: its constructor
 * prints what late_value() returns, so a patch applied before the constructors shows. */
#include <stdio.h>

/* Read through a volatile pointer: Clang would otherwise propagate the constant into
 * the constructor's call site (interprocedural, despite noinline). */
static const char *volatile late_text = "late old";

__attribute__((noinline, visibility("default"))) const char *late_value(void)
{
	return late_text;
}

__attribute__((constructor)) static void late_init(void)
{
	printf("ctor: %s\n", late_value());
	fflush(stdout);
}
