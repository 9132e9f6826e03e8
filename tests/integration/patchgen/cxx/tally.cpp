// SPDX-License-Identifier: MIT
// tally.cpp - a function-local static with a dynamic initialiser (and its guard variable).
#include "shapes.hpp"

static __attribute__((noinline)) int seed()
{
	return 1000;
}

int tally(int x)
{
	static int total = seed();
	total += x;
	return total;
}
