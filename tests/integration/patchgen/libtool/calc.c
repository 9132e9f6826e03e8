/* SPDX-License-Identifier: MIT */
/* calc.c - libcalc, built as libtool builds a library. The bug: the whole is taken one
 * too large, so every percentage comes out low. */
#include "calc.h"

CALC_API int calc_percent(int part, int whole)
{
	return calc_scale(part) / (whole + 1);
}
