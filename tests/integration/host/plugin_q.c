// SPDX-License-Identifier: MIT
// plugin_q.c - libhostq.so, found only through libhostp.so's RUNPATH ($ORIGIN/deps).
__attribute__((visibility("default"))) int q_answer(void)
{
	return 7;
}
