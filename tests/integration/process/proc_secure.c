// SPDX-License-Identifier: MIT
// proc_secure.c - links libgraft.so directly (DT_NEEDED, absolute RPATH), so the runtime
// is loaded even where ld.so ignores LD_PRELOAD (setuid); reports its credentials and
// waits for stdin to close.
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

/* In a sanitizer build: LeakSanitizer cannot run in a setuid process (it needs to trace
 * its own threads) and would abort the test's program before it says anything. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

int main(void)
{
	char buf[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready secure=%lu ruid=%d euid=%d\n", getauxval(AT_SECURE), (int)getuid(),
	       (int)geteuid());
	while (fgets(buf, sizeof(buf), stdin))
		printf("still here\n");
	return 0;
}
