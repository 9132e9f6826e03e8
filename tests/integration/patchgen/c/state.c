/* SPDX-License-Identifier: MIT */
/* state.c - a file-scope static and function-local statics of the same name in two
 * functions (GCC numbers them calls.0, calls.1 in order of appearance). */
#include "shop.h"

static int counter;

int state_bump(int by)
{
	static int calls;
	calls++;
	counter += by;
	return counter * 1000 + calls;
}

int state_tick(int by)
{
	static int calls;
	calls += by;
	return calls;
}
