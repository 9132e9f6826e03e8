/* SPDX-License-Identifier: MIT */
/* main.c - grades: a line service over libcalc.so. "pct PART WHOLE" answers the
 * percentage libcalc computes; "grade PCT" the grade the program gives it. The bug
 * here: exactly 50% fails, where the pass mark is 50% inclusive. */
#include <stdio.h>
#include <string.h>

#include "calc.h"

__attribute__((noinline)) const char *grade(int pct)
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
		else
			printf("?\n");
		fflush(stdout);
	}
	return 0;
}
