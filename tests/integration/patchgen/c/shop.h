/* SPDX-License-Identifier: MIT */
/* shop.h - the functions main.c dispatches commands to. */
#ifndef SHOP_H
#define SHOP_H
int calc_scale(int x);
int calc_offset(int x);
int calc_clamp(int x);
int base_calls(void);
int state_bump(int by);
int state_tick(int by);
int view_a(int x);
int view_b(int x);
int dup_a(void);
int dup_b(void);
int ipa_weigh(int w);
int ipa_check(int x);
int data_get(int i);
int probe(int x);
int fee(int x);
int asm_answer(void);
int vis_hidden(int x) __attribute__((visibility("hidden")));
int vis_internal(int x) __attribute__((visibility("internal")));
int vis_default(int x);
int vis_inlined(int x);
#endif
