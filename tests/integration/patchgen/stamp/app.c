/* SPDX-License-Identifier: MIT */
/* app.c - prints its build stamp and doubles numbers. */
#include <stdio.h>

#include "release.h"

int twice(int x)
{
	return 2 * x;
}

int main(void)
{
	int x;
	printf("ready %s\n", BUILD_STAMP);
	while (scanf("%d", &x) == 1)
		printf("%d\n", twice(x));
	return 0;
}
