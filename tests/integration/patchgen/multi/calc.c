/* SPDX-License-Identifier: MIT */
/* calc.c - libcalc.so. The bug: the whole is taken one too large ("to avoid a division
 * by zero"), so every percentage comes out low. */
#include "calc.h"

int calc_percent(int part, int whole)
{
	return part * 100 / (whole + 1);
}
