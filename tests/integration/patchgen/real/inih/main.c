/* SPDX-License-Identifier: MIT */
/* main.c - a line service around inih (ini.c/ini.h, vendored unchanged, BSD licence in
 * LICENSE.txt): every input line is parsed as one line of an INI file and answered with
 * what inih made of it: "NAME=[...] VALUE=[...]", "section [...]" or "error N". */
#include <stdio.h>
#include <string.h>

#include "ini.h"

struct one_line {
	const char *text;
	int done;
};

static char *read_one(char *str, int num, void *stream)
{
	struct one_line *l = stream;
	if (l->done)
		return NULL;
	l->done = 1;
	snprintf(str, (size_t)num, "%s", l->text);
	return str;
}

static int answer(void *user, const char *section, const char *name, const char *value)
{
	(void)user;
	(void)section;
	printf("NAME=[%s] VALUE=[%s]\n", name, value);
	return 1;
}

int main(void)
{
	char line[256];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		struct one_line l = {line, 0};
		int err;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		err = ini_parse_stream(read_one, &l, answer, NULL);
		if (err)
			printf("error %d\n", err);
		else if (line[0] == '[' || line[0] == '\0' || line[0] == ';')
			printf("no pair\n");
		fflush(stdout);
	}
	return 0;
}
