// SPDX-License-Identifier: MIT
// plugin_p.c - libhostp.so, the plugin plugin_host loads by name. Linked with RUNPATH
// $ORIGIN/deps, where libhostq.so is: a dlopen from here must search this object's
// RUNPATH, not the program's and not libgraft.so's.
#include <dlfcn.h>

__attribute__((visibility("default"))) int p_answer(void)
{
	return 42;
}

__attribute__((visibility("default"))) int p_nested(void)
{
	void *q = dlopen("libhostq.so", RTLD_NOW);
	if (!q)
		return -1;
	int (*fn)(void) = (int (*)(void))dlsym(q, "q_answer");
	int v = fn ? fn() : -2;
	dlclose(q);
	return v;
}
