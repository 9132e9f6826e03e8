// SPDX-License-Identifier: MIT
// fault_noshim.c - fault_shim.h without injection (AddressSanitizer owns malloc).
#include "fault_shim.h"

int fault_shim_arm(const char *kind, long nth)
{
	(void)kind;
	(void)nth;
	return 0;
}

long fault_shim_disarm(void)
{
	return 0;
}
