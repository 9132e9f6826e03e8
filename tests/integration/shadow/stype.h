/* SPDX-License-Identifier: MIT */
/* stype.h - what the shadow type tests' target and patches share: the target's record,
 * whose dtor_runs the patches' shadow dtors count (each variable's dtor must run once),
 * and the shadow ids. */
#ifndef STYPE_H
#define STYPE_H

struct rec {
	int id;
	int dtor_runs; /* dtors run on this record's shadow variables */
	int bad_dtor;  /* dtors that found data no ctor wrote */
};

#define SV_T 0x7401UL /* the records' shadow (object-bound or state-bound) */
#define SV_L 0x7402UL /* the library object's shadow */
#define SV_U 0x7403UL /* a type no object registers */
#define SV_MAGIC 0x5eed

#endif
