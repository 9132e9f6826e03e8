/* SPDX-License-Identifier: MIT */
/* dup_b.c - the same static names as dup_a.c (old_sympos tells them apart). */
#include "shop.h"

static int hits;

static __attribute__((noinline)) int value(void)
{
	hits++;
	return 2;
}

int dup_b(void)
{
	return value() + hits * 0;
}
