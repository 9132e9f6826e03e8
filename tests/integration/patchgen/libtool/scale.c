/* SPDX-License-Identifier: MIT */
/* scale.c - a function of libcalc's own: another unit calls it, the API does not show it. */
#include "calc.h"

int calc_scale(int part)
{
	return part * 100;
}
