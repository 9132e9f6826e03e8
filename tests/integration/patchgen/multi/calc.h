/* SPDX-License-Identifier: MIT */
/* calc.h - libcalc: what the program computes, in a shared library of its own. */
#ifndef CALC_H
#define CALC_H
int calc_percent(int part, int whole);
#endif
