/* SPDX-License-Identifier: MIT */
/* dup_a.c - a static function and a static variable whose names dup_b.c uses too. */
#include "shop.h"

static int hits;

static __attribute__((noinline)) int value(void)
{
	hits++;
	return 1;
}

int dup_a(void)
{
	return value() + hits * 0;
}
