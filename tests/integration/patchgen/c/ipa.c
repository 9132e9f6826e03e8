/* SPDX-License-Identifier: MIT */
/* ipa.c - code GCC clones and splits: a static function called with a constant
 * (.constprop), a read-only pointer argument (.isra), an unlikely path (.cold). */
#include <stdio.h>

#include "shop.h"

struct item {
	int weight;
	int pad[7];
};

static __attribute__((noinline)) int weigh(const struct item *it, int factor)
{
	return it->weight * factor + 1;
}

int ipa_weigh(int w)
{
	struct item it = {w, {0}};
	return weigh(&it, 3);
}

static __attribute__((cold, noinline)) void complain(int x)
{
	fprintf(stderr, "negative %d\n", x);
}

int ipa_check(int x)
{
	if (__builtin_expect(x < 0, 0)) {
		complain(x);
		fprintf(stderr, "check: bad input %d, %d, %d\n", x, x * 2, x * 3);
		return -1;
	}
	return x + 1;
}
