// SPDX-License-Identifier: MIT
// ctor_plug.c - libattach-ctor.so, dlopened by the service after the attach: its
// constructor calls ctor_answer, which the patch replaces. The answer the constructor
// saw tells whether the library was patched before its constructors ran.
static volatile int value = 100;
static int seen;

__attribute__((visibility("default"), noinline)) int ctor_answer(void)
{
	return value;
}

__attribute__((constructor)) static void ctor_init(void)
{
	seen = ctor_answer();
}

__attribute__((visibility("default"))) int ctor_seen(void)
{
	return seen;
}
