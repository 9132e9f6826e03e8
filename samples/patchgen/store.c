/* SPDX-License-Identifier: MIT */
/* store.c - the table, and the hit/miss counters behind the "stats" command. */
#include <string.h>

#include "store.h"

#define SLOTS 64

static struct {
	char key[32];
	long value;
	int used;
} table[SLOTS];
static long hits, misses;

static unsigned slot_of(const char *key)
{
	unsigned h = 5381;
	while (*key)
		h = h * 33 + (unsigned char)*key++;
	return h % SLOTS;
}

void store_put(const char *key, long value)
{
	unsigned s = slot_of(key);
	strncpy(table[s].key, key, sizeof table[s].key - 1);
	table[s].value = value;
	table[s].used = 1;
}

int store_get(const char *key, long *value)
{
	unsigned s = slot_of(key);
	if (table[s].used && strcmp(table[s].key, key) == 0) {
		hits++;
		*value = table[s].value;
		return 1;
	}
	misses++;
	return 0;
}

/* Percentage of lookups that found their key. */
int store_hit_ratio(void)
{
	if (hits + misses == 0)
		return 0;
	return (int)(hits * 100 / (misses + 1));
}
