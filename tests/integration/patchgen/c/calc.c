/* SPDX-License-Identifier: MIT */
/* calc.c - static functions: one changed, one called by a changed function, a new helper. */
#include "shop.h"

static int base_count;

static __attribute__((noinline)) int scale(int x)
{
	return x * 2;
}

int calc_scale(int x)
{
	return scale(x) + 1;
}

static __attribute__((noinline)) int base(int x)
{
	base_count++;
	return x + 100;
}

int base_calls(void)
{
	return base_count;
}

int calc_offset(int x)
{
	return base(x) - 100;
}

int calc_clamp(int x)
{
	return x;
}
