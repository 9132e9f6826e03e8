/* SPDX-License-Identifier: MIT */
/* main.c - a line service around jsmn (jsmn.c/jsmn.h, vendored unchanged, MIT licence
 * in LICENSE): every input line is parsed as JSON and answered with the number of
 * tokens jsmn found, or its error code. */
#include <stdio.h>
#include <string.h>

#include "jsmn.h"

int main(void)
{
	char line[512];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		jsmn_parser p;
		jsmntok_t tokens[64];
		int n;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		jsmn_init(&p);
		n = jsmn_parse(&p, line, strlen(line), tokens, 64);
		if (n < 0)
			printf("error %d\n", n);
		else
			printf("tokens %d\n", n);
		fflush(stdout);
	}
	return 0;
}
