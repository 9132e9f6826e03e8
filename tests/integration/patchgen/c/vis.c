/* SPDX-License-Identifier: MIT */
/* vis.c - one function per symbol visibility, as libraries built with
 * -fvisibility=hidden or marking their internals have them: after the link, hidden and
 * internal functions are LOCAL symbols of the executable. vis_twice() is static and
 * inlined into its only caller: it has no copy in the executable. */
#include "shop.h"

__attribute__((visibility("hidden"))) int vis_hidden(int x)
{
	return x + 1;
}

__attribute__((visibility("internal"))) int vis_internal(int x)
{
	return x + 2;
}

int vis_default(int x)
{
	return x + 3;
}

static int vis_twice(int x)
{
	return 2 * x;
}

int vis_inlined(int x)
{
	return vis_twice(x) + 1;
}
