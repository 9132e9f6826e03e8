// SPDX-License-Identifier: MIT
// main.cpp - a line-command service: "NAME ARG" calls one function and prints the result;
// a BadInput thrown through it prints "NAME error VALUE".
#include <cstdio>
#include <cstring>

#include "shapes.hpp"

namespace {

struct Command {
	const char *name;
	int (*fn)(int);
};

const Command commands[] = {{"area", shape_area}, {"fee", account_fee}, {"twice", calc_twice},
			    {"parse", parse},     {"guarded", guarded}, {"tally", tally}};

void answer(const char *name, int arg)
{
	for (const Command &c : commands) {
		if (std::strcmp(name, c.name) != 0)
			continue;
		try {
			std::printf("%s %d\n", name, c.fn(arg));
		} catch (const BadInput &e) {
			std::printf("%s error %d\n", name, e.value);
		}
		return;
	}
	std::printf("unknown %s\n", name);
}

} // namespace

int main()
{
	char line[256], name[64];
	std::printf("ready\n");
	std::fflush(stdout);
	while (std::fgets(line, sizeof line, stdin)) {
		int arg = 0;
		if (std::sscanf(line, "%63s %d", name, &arg) < 1)
			continue;
		if (std::strcmp(name, "quit") == 0)
			break;
		answer(name, arg);
		std::fflush(stdout);
	}
	return 0;
}
