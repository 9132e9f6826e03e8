/* SPDX-License-Identifier: MIT */
/* calc.h - libcalc: its API (exported), and what its units share (hidden). */
#ifndef CALC_H
#define CALC_H
#define CALC_API __attribute__((visibility("default")))
CALC_API int calc_percent(int part, int whole);
int calc_scale(int part); /* scale.c, not exported */
#endif
