/* SPDX-License-Identifier: MIT */
/* dummy.h - the record type shared by shadow-target and its patch modules. */
#ifndef SHADOW_SAMPLE_DUMMY_H
#define SHADOW_SAMPLE_DUMMY_H

/* A dummy lives this many ticks after its allocation. */
#define DUMMY_LIFETIME 5

/* The target's record; patches cannot add a field, so they attach shadow variables. */
struct dummy {
	struct dummy *next;
	unsigned long expires;
};

/* Shadow variable ids, shared by fix1 and fix2 (like the kernel samples' SV_*). */
#define SV_LEAK 1
#define SV_COUNTER 2

#endif
