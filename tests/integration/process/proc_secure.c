// SPDX-License-Identifier: MIT
// proc_secure.c - links libgraft.so directly (DT_NEEDED, absolute RPATH), so the runtime
// is loaded even where ld.so ignores LD_PRELOAD (setuid); reports its credentials and
// waits for stdin to close.
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

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
