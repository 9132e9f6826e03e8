/* SPDX-License-Identifier: MIT */
/* state.c - a file-scope static and a function-local static, read and written. */
#include "shop.h"

static int counter;

int state_bump(int by)
{
	static int calls;
	calls++;
	counter += by;
	return counter * 1000 + calls;
}
