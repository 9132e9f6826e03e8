/* SPDX-License-Identifier: MIT */
/* main.c - a line service around cJSON (cJSON.c/cJSON.h, vendored unchanged, MIT
 * licence in LICENSE): "A | B" is answered with whether cJSON_Compare finds the two
 * JSON documents equal. */
#include <stdio.h>
#include <string.h>

#include "cJSON.h"

int main(void)
{
	char line[512];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		char *bar = strchr(line, '|');
		cJSON *a, *b;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (!bar) {
			printf("usage: A | B\n");
			fflush(stdout);
			continue;
		}
		*bar = '\0';
		a = cJSON_Parse(line);
		b = cJSON_Parse(bar + 1);
		if (!a || !b)
			printf("parse error\n");
		else
			printf("%s\n", cJSON_Compare(a, b, 1) ? "equal" : "different");
		cJSON_Delete(a);
		cJSON_Delete(b);
		fflush(stdout);
	}
	return 0;
}
