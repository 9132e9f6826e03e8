/* SPDX-License-Identifier: MIT */
/* service.c - kvcache: "put KEY VALUE", "get KEY", "stats", one answer line each. */
#include <stdio.h>
#include <string.h>

#include "store.h"

int main(void)
{
	char line[256], cmd[16], key[32];
	long value;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		int n = sscanf(line, "%15s %31s %ld", cmd, key, &value);
		if (n >= 1 && strcmp(cmd, "quit") == 0)
			break;
		if (n == 3 && strcmp(cmd, "put") == 0) {
			store_put(key, value);
			printf("ok\n");
		} else if (n == 2 && strcmp(cmd, "get") == 0) {
			if (store_get(key, &value))
				printf("%s = %ld\n", key, value);
			else
				printf("%s missing\n", key);
		} else if (n >= 1 && strcmp(cmd, "stats") == 0) {
			printf("hit ratio %d%%\n", store_hit_ratio());
		} else {
			printf("usage: put KEY VALUE | get KEY | stats | quit\n");
		}
		fflush(stdout);
	}
	return 0;
}
