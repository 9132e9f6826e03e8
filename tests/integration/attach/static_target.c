// SPDX-License-Identifier: MIT
// static_target.c - a statically linked program: graft attach must refuse it.
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		printf("pong\n");
	return 0;
}
