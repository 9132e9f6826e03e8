// SPDX-License-Identifier: MIT
// startup_pause.c - says "ready" and waits for stdin to close, so its memory can be read
// from /proc while it idles.
#include <unistd.h>

int main(void)
{
	char c;
	if (write(1, "ready\n", 6) != 6)
		return 1;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
