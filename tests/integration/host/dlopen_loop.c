// SPDX-License-Identifier: MIT
// dlopen_loop.c - the target of the dlopen-loop test (SUSE libpulp's `deadlock` test):
// the main thread dlopens and dlcloses argv[1] in a loop; a "holder" thread sits in
// loop_answer() for good, so a patch on loop_answer stays in transition; the stdin
// thread answers "count" (loads so far) and "answer" (loop_answer's value, from a fresh
// call). With "-" as argv[1] nothing loads and nothing holds loop_answer: a quiet target
// (the control server test).
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_long loads;
static atomic_int hold = 1;
// Read through a volatile: with a plain `return 1` Clang's interprocedural constant
// propagation uses the constant at the call site, so the patch would never be seen.
static volatile int original_answer = 1;

__attribute__((noinline, visibility("default"))) int loop_answer(void)
{
	while (atomic_load(&hold))
		usleep(1000);
	return original_answer;
}

static void *holder(void *arg)
{
	(void)arg;
	loop_answer();
	return NULL;
}

static void *commands(void *arg)
{
	(void)arg;
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "count", 5)) {
			printf("%ld\n", atomic_load(&loads));
		} else if (!strncmp(line, "answer", 6)) {
			atomic_store(&hold, 0);
			printf("%d\n", loop_answer());
		}
		fflush(stdout);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "-"))
		atomic_store(&hold, 0);
	pthread_t t;
	pthread_create(&t, NULL, holder, NULL);
	pthread_create(&t, NULL, commands, NULL);
	while (!strcmp(argv[1], "-"))
		pause();
	for (;;) {
		void *h = dlopen(argv[1], RTLD_NOW);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		dlclose(h);
		atomic_fetch_add(&loads, 1);
	}
}
