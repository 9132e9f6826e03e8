// SPDX-License-Identifier: MIT
// plug.c - libattach-plug.so, dlopened by the service after the attach (its patch must
// apply); and, built again as libattach-churn.so, the library a busy thread loads and
// unloads in a loop.
static volatile int value = 100;

__attribute__((visibility("default"), noinline)) int plug_answer(void)
{
	return value;
}
