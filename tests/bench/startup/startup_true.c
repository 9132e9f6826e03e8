// SPDX-License-Identifier: MIT
// startup_true.c - the smallest program: its run time is the start-up cost.
int main(void)
{
	return 0;
}
