/* SPDX-License-Identifier: MIT */
/* views_a.c - one of the two users of util.h's norm(). */
#include "shop.h"
#include "util.h"

int view_a(int x)
{
	return norm(x) + 100;
}
