/* SPDX-License-Identifier: MIT */
/* libtrust.c - libtrusttgt.so.1, linked with a fixed build-id (CMakeLists.txt):
 * tgt_version, which the patch changes, and tgt_hold, which a thread sleeps in so that
 * a transition waits for it (the audit test forces one). */
#include <errno.h>
#include <unistd.h>

__attribute__((noinline, visibility("default"))) const char *tgt_version(void)
{
	__asm__ volatile("");
	return "old";
}

/* Blocks in read(fd) until a byte arrives: while it sleeps here, tgt_hold is on this
 * thread's stack (an interrupted read is restarted: graft's signal must not end it). */
__attribute__((noinline, visibility("default"))) int tgt_hold(int fd)
{
	char c;
	int n;
	do
		n = (int)read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	__asm__ volatile("");
	return n;
}
