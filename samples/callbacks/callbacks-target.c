/* SPDX-License-Identifier: MIT */
/* callbacks-target.c - the program of the callbacks story: it loads and unloads the
 * story's libraries when asked on stdin (the kernel tests' insmod and rmmod), one command
 * a line, one reply line each:
 *   load LIB [block]     dlopen samples/LIB ("block": libcallbacks_busy.so's worker stays
 *                        in busymod_work_func until the library is unloaded)
 *   unload LIB           dlclose it
 *   set pre_patch_ret N  what the demo patches' pre_patch callbacks return (N = -19:
 *   set pre_patch_ret2 N  -ENODEV), read through their graft_sym cells
 *   grep                 logs the answers of cmdline_show() and meminfo_show() that say
 *                        "live patched" (the kernel tests' grep of /proc/cmdline and
 *                        /proc/meminfo into the kernel log); replies with both answers
 *   pid | quit
 * Each step is also written into the runtime's log ("% dlopen LIB", and dlerror()'s text
 * when a load fails), as the kernel tests' harness writes its commands into the kernel
 * log, so `graft log PID` tells the whole story in order. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../livepatch/sample_attrs.h"
#include "say.h"

/* Read by the demo patches (graft_sym) and by libcallbacks_busy.so (exported). */
__attribute__((visibility("default"))) int callbacks_pre_patch_ret;
__attribute__((visibility("default"))) int callbacks_pre_patch_ret2;
__attribute__((visibility("default"))) int callbacks_busy_block;
/* What the state patches (samples/cumulative) change and restore: the kernel's
 * console_loglevel. */
__attribute__((visibility("default"))) int console_loglevel = 4;

/* What the cumulative story's patches replace (the kernel's cmdline_proc_show,
 * meminfo_proc_show and a syscall). */
__attribute__((visibility("default"))) SAMPLE_PATCHABLE const char *cmdline_show(void)
{
	return SAMPLE_OPAQUE("original cmdline");
}

__attribute__((visibility("default"))) SAMPLE_PATCHABLE const char *meminfo_show(void)
{
	return SAMPLE_OPAQUE("original meminfo");
}

__attribute__((visibility("default"))) SAMPLE_PATCHABLE const char *uptime_show(void)
{
	return SAMPLE_OPAQUE("original uptime");
}

static void grep_live_patched(void)
{
	const char *cmdline = cmdline_show(), *meminfo = meminfo_show();
	if (strstr(cmdline, "live patched"))
		SAY("%s", cmdline);
	if (strstr(meminfo, "live patched"))
		SAY("%s", meminfo);
	printf("cmdline: %s | meminfo: %s | uptime: %s | loglevel: %d\n", cmdline, meminfo,
	       uptime_show(), console_loglevel);
	fflush(stdout);
}

#define MAX_LIBS 8
static struct {
	char name[64];
	void *handle;
} libs[MAX_LIBS];

static void reply(const char *fmt, const char *arg)
{
	printf(fmt, arg);
	putchar('\n');
	fflush(stdout);
}

/* The story's libraries sit next to this program. */
static void lib_path(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(out, size, "%s/%s", exe, name) >= (int)size)
		out[0] = '\0'; /* too long: dlopen fails and says so */
}

static void load(const char *name, int block)
{
	int slot = -1;
	for (int i = 0; i < MAX_LIBS; i++)
		if (!libs[i].handle && slot < 0)
			slot = i;
	if (slot < 0 || strlen(name) >= sizeof(libs[0].name)) {
		reply("error: cannot track more libraries", "");
		return;
	}
	char path[PATH_MAX];
	lib_path(name, path, sizeof(path));
	callbacks_busy_block = block;
	SAY("%% dlopen %s%s", name, block ? " block" : "");
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *err = dlerror();
		SAY("dlopen: ERROR: %s", err ? err : "(no dlerror)");
		reply("error: %s", err ? err : "(no dlerror)");
		return;
	}
	libs[slot].handle = h;
	snprintf(libs[slot].name, sizeof(libs[slot].name), "%s", name);
	reply("ok", "");
}

static void unload(const char *name)
{
	for (int i = 0; i < MAX_LIBS; i++) {
		if (!libs[i].handle || strcmp(libs[i].name, name) != 0)
			continue;
		SAY("%% dlclose %s", name);
		dlclose(libs[i].handle);
		libs[i].handle = NULL;
		reply("ok", "");
		return;
	}
	reply("error: %s is not loaded", name);
}

/* Answers one command line; returns 1 on quit. */
static int handle(char *cmd)
{
	char a[64] = "", b[64] = "";
	int n = sscanf(cmd, "%*s %63s %63s", a, b);
	if (strncmp(cmd, "load ", 5) == 0 && n >= 1)
		load(a, n == 2 && strcmp(b, "block") == 0);
	else if (strncmp(cmd, "unload ", 7) == 0 && n == 1)
		unload(a);
	else if (strncmp(cmd, "set ", 4) == 0 && n == 2 && strcmp(a, "pre_patch_ret") == 0) {
		SAY("%% set pre_patch_ret %s", b);
		callbacks_pre_patch_ret = atoi(b);
		reply("ok", "");
	} else if (strncmp(cmd, "set ", 4) == 0 && n == 2 && strcmp(a, "pre_patch_ret2") == 0) {
		SAY("%% set pre_patch_ret2 %s", b);
		callbacks_pre_patch_ret2 = atoi(b);
		reply("ok", "");
	} else if (strcmp(cmd, "grep") == 0) {
		grep_live_patched();
	} else if (strcmp(cmd, "pid") == 0) {
		printf("%ld\n", (long)getpid());
		fflush(stdout);
	} else if (strcmp(cmd, "quit") == 0)
		return 1;
	else
		reply("unknown command '%s' (load LIB [block], unload LIB, set pre_patch_ret N, "
		      "set pre_patch_ret2 N, grep, pid, quit)",
		      cmd);
	return 0;
}

int main(void)
{
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (handle(line))
			break;
	}
	return 0;
}
