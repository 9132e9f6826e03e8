/* SPDX-License-Identifier: MIT */
/* main.c - a line-command service: "NAME ARG" calls one function and prints the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop.h"

static int dispatch(const char *name, int arg, int *out)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} table[] = {{"scale", calc_scale}, {"offset", calc_offset}, {"clamp", calc_clamp},
		     {"bump", state_bump}, {"tick", state_tick}, {"view_a", view_a}, {"view_b", view_b},
		     {"weigh", ipa_weigh}, {"check", ipa_check}, {"data", data_get},
		     {"probe", probe}, {"fee", fee}, {"default", vis_default},
		     {"inlined", vis_inlined}};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(name, table[i].name) == 0) {
			*out = table[i].fn(arg);
			return 1;
		}
	if (strcmp(name, "dup") == 0) {
		*out = dup_a() * 10 + dup_b();
		return 1;
	}
	if (strcmp(name, "asm") == 0) {
		*out = asm_answer();
		return 1;
	}
	/* Direct calls: hidden and internal functions whose address goes into no data
	 * are LOCAL symbols of the linked executable (ld keeps them GLOBAL otherwise). */
	if (strcmp(name, "hidden") == 0 || strcmp(name, "internal") == 0) {
		*out = name[0] == 'h' ? vis_hidden(arg) : vis_internal(arg);
		return 1;
	}
	if (strcmp(name, "base_calls") == 0) {
		*out = base_calls();
		return 1;
	}
	return 0;
}

int main(void)
{
	char line[256], name[64];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		int arg = 0, out = 0;
		if (sscanf(line, "%63s %d", name, &arg) < 1)
			continue;
		if (strcmp(name, "quit") == 0)
			break;
		if (dispatch(name, arg, &out))
			printf("%s %d\n", name, out);
		else
			printf("unknown %s\n", name);
		fflush(stdout);
	}
	return 0;
}
