// SPDX-License-Identifier: MIT
// proc_target.c - target of the process tests: answers one command per line and, on
// command, forks a child that serves the same commands on two FIFOs, or execs itself.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int proc_answer(void); // patched by proc-answer*.so

// Read through a volatile: with a plain `return 1` Clang's interprocedural constant
// propagation keeps the call but uses the constant 1 at every call site, so a patch
// would never be seen (noinline does not stop that).
static volatile int original_answer = 1;

__attribute__((noinline)) int proc_answer(void)
{
	return original_answer;
}

static const char *self_path;
static pid_t last_child = -1;

static void serve(FILE *in, FILE *out);

// The child serves IN/OUT (FIFO paths) on its own; the parent goes on with stdin/stdout.
static void do_fork(FILE *out, const char *in_path, const char *out_path)
{
	fflush(NULL); // nothing buffered may be written twice
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(out, "fork failed\n");
		return;
	}
	if (pid > 0) {
		last_child = pid;
		fprintf(out, "forked %d\n", (int)pid);
		return;
	}
	FILE *cin = fopen(in_path, "r");   // blocks until the test opens it for writing
	FILE *cout = fopen(out_path, "w"); // blocks until the test opens it for reading
	if (!cin || !cout)
		_exit(3);
	setvbuf(cout, NULL, _IOLBF, 0);
	fprintf(cout, "child ready %d\n", (int)getpid());
	serve(cin, cout);
	_exit(0);
}

static void do_reap(FILE *out)
{
	int status = 0;
	if (last_child < 0 || waitpid(last_child, &status, 0) != last_child)
		fprintf(out, "reap failed\n");
	else if (WIFEXITED(status))
		fprintf(out, "reaped exit %d\n", WEXITSTATUS(status));
	else
		fprintf(out, "reaped signal %d\n", WTERMSIG(status));
	last_child = -1;
}

static void do_exec(FILE *out)
{
	char *argv[] = {(char *)self_path, (char *)"gen2", NULL};
	fflush(NULL);
	execv("/proc/self/exe", argv);
	fprintf(out, "exec failed\n");
}

static void do_env(FILE *out, const char *name)
{
	const char *v = getenv(name);
	if (v)
		fprintf(out, "env %s=%s\n", name, v);
	else
		fprintf(out, "env %s unset\n", name);
}

static void command(FILE *out, char *line)
{
	char a[256], b[256];
	if (strcmp(line, "answer") == 0)
		fprintf(out, "answer %d\n", proc_answer());
	else if (strcmp(line, "mdwe") == 0)
		fprintf(out, "mdwe %d\n", prctl(66 /* PR_GET_MDWE */, 0L, 0L, 0L, 0L));
	else if (strcmp(line, "pid") == 0)
		fprintf(out, "pid %d\n", (int)getpid());
	else if (strncmp(line, "env ", 4) == 0)
		do_env(out, line + 4);
	else if (sscanf(line, "fork %255s %255s", a, b) == 2)
		do_fork(out, a, b);
	else if (strcmp(line, "reap") == 0)
		do_reap(out);
	else if (strcmp(line, "exec") == 0)
		do_exec(out);
	else
		fprintf(out, "unknown command '%s'\n", line);
}

static void serve(FILE *in, FILE *out)
{
	char buf[600];
	while (fgets(buf, sizeof(buf), in)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (strcmp(buf, "quit") == 0)
			break;
		command(out, buf);
		fflush(out);
	}
}

int main(int argc, char **argv)
{
	self_path = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	// PROC_TARGET_MDWE=1: MemoryDenyWriteExecute as systemd sets it (PR_SET_MDWE,
	// PR_MDWE_REFUSE_EXEC_GAIN; Linux >= 6.3): graft must write code through
	// /proc/self/mem. "mdwe" reports PR_GET_MDWE (1 when set, -1 when unsupported).
	if (getenv("PROC_TARGET_MDWE"))
		prctl(65 /* PR_SET_MDWE */, 1L /* PR_MDWE_REFUSE_EXEC_GAIN */, 0L, 0L, 0L);
	// The first answer is computed before any command: `graft run --patch` must have
	// patched proc_answer before main ran.
	printf("ready %s %d\n", argc > 1 ? argv[1] : "gen1", proc_answer());
	serve(stdin, stdout);
	return 0;
}
