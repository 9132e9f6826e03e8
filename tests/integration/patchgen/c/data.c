/* SPDX-License-Identifier: MIT */
/* data.c - existing data the refusal fixes try to change. */
#include "shop.h"

static int table[4] = {10, 20, 30, 40};
/* Never written: GCC places it in .rodata. */
static int weights[4] = {1, 2, 3, 4};
int data_count = 4;

__attribute__((constructor)) static void data_init(void)
{
	table[3] += 1;
}

int data_get(int i)
{
	if (i >= 100)
		return weights[i & 3];
	return i >= 0 && i < data_count ? table[i] : -1;
}
