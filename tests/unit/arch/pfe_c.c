// SPDX-License-Identifier: MIT
// pfe_c.c - a function built with -fpatchable-function-entry=16,14 by the test compiler.
__attribute__((noinline)) int pfe_c_add(int x)
{
	return x + 1005;
}
