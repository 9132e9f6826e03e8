/* SPDX-License-Identifier: MIT */
/* views_b.c - the other user of util.h's norm(). */
#include "shop.h"
#include "util.h"

int view_b(int x)
{
	return norm(x) + 200;
}
