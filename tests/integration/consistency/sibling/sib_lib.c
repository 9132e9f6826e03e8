/* SPDX-License-Identifier: MIT */
/* sib_lib.c - libsib.so's encoder and decoder: the PLT variant's run (in the executable)
 * reaches them through the PLT, its last call as jmp sib_lib_dec@plt. */
#include "sib_funcs.h"

static volatile long thousand = 1000;

SIB_OPAQUE long SIB(sib_lib_enc)(long x)
{
	return x + thousand;
}

SIB_OPAQUE long SIB(sib_lib_dec)(long y)
{
	return y - thousand;
}
