/* SPDX-License-Identifier: MIT */
/* fee.c - libfee.so: a shared-library target with a static helper and a static counter. */
static int fee_calls;

static __attribute__((noinline)) int rate(void)
{
	return 5;
}

__attribute__((visibility("default"))) int fee(int x)
{
	fee_calls++;
	return x * rate() + fee_calls * 0;
}
