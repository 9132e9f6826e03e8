/* SPDX-License-Identifier: MIT */
/* util.h - an inline function two translation units use (views_a.c, views_b.c). */
#ifndef UTIL_H
#define UTIL_H
static inline int norm(int x)
{
	return x % 10;
}
#endif
