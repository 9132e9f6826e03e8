/* SPDX-License-Identifier: MIT */
/* say.h - the callbacks story's programs write into the runtime's log (graft log PID), as
 * the kernel's test modules write into the kernel log: one ordered record of what the
 * runtime, the patch's callbacks and the target did. Without the runtime they are silent. */
#ifndef CALLBACKS_SAY_H
#define CALLBACKS_SAY_H

#include <graft/graft.h>

#pragma weak graft_log
#define SAY(...)                                \
	do {                                    \
		if (graft_log)                  \
			graft_log(__VA_ARGS__); \
	} while (0)

#endif
