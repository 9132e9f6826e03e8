// SPDX-License-Identifier: MIT
// The package test's target: prints answer() whenever it changes, until killed.
#include <stdio.h>
#include <time.h>

// Read through a volatile: the compiler cannot fold answer()'s value into main.
static volatile int value = 1;

__attribute__((noinline)) int answer(void)
{
	return value;
}

int main(void)
{
	int last = 0;
	for (;;) {
		int now = answer();
		if (now != last) {
			printf("answer %d\n", now);
			fflush(stdout);
			last = now;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}
