/* SPDX-License-Identifier: MIT */
/* main.c - pct: "pct PART WHOLE" answers the percentage libcalc.so computes. */
#include <stdio.h>
#include <string.h>

#include "calc.h"

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
		else
			printf("?\n");
		fflush(stdout);
	}
	return 0;
}
