/* SPDX-License-Identifier: MIT */
/* store.h - kvcache's store: a small fixed table of string keys and integer values. */
#ifndef STORE_H
#define STORE_H
void store_put(const char *key, long value);
int store_get(const char *key, long *value);
int store_hit_ratio(void);
#endif
