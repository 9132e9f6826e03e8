/* SPDX-License-Identifier: MIT */
/* main.c - grades: a line service over libcalc.so. "pct PART WHOLE" answers the
 * percentage libcalc computes; "grade PCT" the grade the program gives it; "version"
 * what it says it is. The bug here: exactly 50% fails, where the pass mark is 50%
 * inclusive. */
#include <stdio.h>
#include <string.h>

#include "calc.h"

/* Global: the program never writes it, but a live patch may. */
const char *version = "grades 1.0";

/* Callers assume nothing of grade() (as of a function in another file): without this,
 * GCC's interprocedural analysis lets main() rely on grade() reading no memory, and a
 * fix that makes it read some changes main() too, which a running loop never leaves. */
#if defined(__clang__)
#define SEPARATE __attribute__((noinline, optnone))
#else
#define SEPARATE __attribute__((noipa))
#endif

SEPARATE const char *grade(int pct)
{
	return pct > 50 ? "pass" : "fail";
}

int main(void)
{
	char line[256];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		int a = 0, b = 0;
		if (strncmp(line, "quit", 4) == 0)
			break;
		if (sscanf(line, "pct %d %d", &a, &b) == 2)
			printf("%d\n", calc_percent(a, b));
		else if (sscanf(line, "grade %d", &a) == 1)
			printf("%s\n", grade(a));
		else if (strncmp(line, "version", 7) == 0)
			printf("%s\n", version);
		else
			printf("?\n");
		fflush(stdout);
	}
	return 0;
}
