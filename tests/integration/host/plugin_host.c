// SPDX-License-Identifier: MIT
// plugin_host.c - a program that loads plugins by name, as servers with modules and
// interpreters with extensions do: linked with RUNPATH $ORIGIN/plugins, it dlopens
// "libhostp.so", which itself dlopens "libhostq.so" through its own RUNPATH. It prints
// one line per case, with dlerror()'s text where a case fails; the test compares the
// output under graft, in every mode, with the output without it. With --wait it first
// waits for a line on stdin (time for `graft attach`).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void report(const char *what, void *h)
{
	const char *err = dlerror();
	printf("%s: %s [%s]\n", what, h ? "handle" : "NULL", err ? err : "no error");
}

static void call(const char *what, void *h, const char *sym)
{
	int (*fn)(void) = h ? (int (*)(void))dlsym(h, sym) : NULL;
	if (fn)
		printf("%s: OK %d\n", what, fn());
	else
		printf("%s: FAILED [%s]\n", what, h ? dlerror() : "no handle");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
		// Attach mode's test: the runtime is attached while this waits for a line.
		char line[16];
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';
	} else if (argc > 1) {
		// The first dlerror() of the process, right after a failed dlopen.
		void *h = dlopen(argv[1], RTLD_NOW);
		report("first error", h);
		return 0;
	}
	void *none = dlopen("libhostp.so", RTLD_NOW | RTLD_NOLOAD);
	report("noload before", none);
	void *p = dlopen("libhostp.so", RTLD_NOW);
	report("open by name", p);
	call("answer", p, "p_answer");
	call("nested (libhostp's RUNPATH)", p, "p_nested");
	void *again = dlopen("libhostp.so", RTLD_NOW | RTLD_NOLOAD);
	printf("noload after: %s\n", p && again == p ? "same handle" : "other handle");
	void *origin = dlopen("$ORIGIN/plugins/libhostp.so", RTLD_LAZY);
	printf("$ORIGIN in the name: %s\n", p && origin == p ? "same handle" : "other handle");
	void *missing = dlopen("libhostmissing.so", RTLD_NOW);
	report("missing", missing);
	const char *again_err = dlerror();
	printf("dlerror again: %s\n", again_err ? again_err : "NULL");
	void *other = dlopen("/nonexistent/dir/libx.so", RTLD_LAZY);
	report("absolute missing", other);
	void *ns = dlmopen(LM_ID_NEWLM, "libhostp.so", RTLD_NOW);
	report("dlmopen new namespace", ns);
	call("dlmopen answer", ns, "p_answer");
	void *self = dlopen(NULL, RTLD_NOW);
	report("dlopen(NULL)", self);
	if (p)
		dlclose(p);
	if (origin)
		dlclose(origin);
	if (again)
		dlclose(again);
	printf("done\n");
	return 0;
}
