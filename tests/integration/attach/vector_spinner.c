// SPDX-License-Identifier: MIT
// vector_spinner.c - a process whose only thread graft attach may borrow is a thread
// spinning in user space with known values in xmm0-xmm15 and MXCSR, checking them on
// every round (the main thread waits in epoll_wait, which graft never borrows). A
// remote call that clobbered the vector state and did not restore it is seen here.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int changed, rounds, spinner_tid;

// xmm0-15 = 1..16 in both halves, MXCSR with flush-to-zero set; loops checking them.
static void *spin(void *arg)
{
	(void)arg;
	atomic_store(&spinner_tid, (int)syscall(SYS_gettid));
	static const uint64_t vals[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	for (;;) {
		uint64_t bad = 0;
		__asm__ volatile("stmxcsr -4(%%rsp)\n\t"
				 "movl -4(%%rsp), %%eax\n\t"
				 "orl $0x8000, %%eax\n\t"
				 "movl %%eax, -8(%%rsp)\n\t"
				 "ldmxcsr -8(%%rsp)\n\t"
#define LOAD(n) "movq " #n "*8(%1), %%xmm" #n "\n\tmovlhps %%xmm" #n ", %%xmm" #n "\n\t"
				 LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
					 LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12) LOAD(13)
						 LOAD(14) LOAD(15) "mov $2000000, %%ecx\n\t"
								   "1:\n\t"
#define CHECK(n)                                                                          \
	"movq %%xmm" #n ", %%rdx\n\tcmpq " #n "*8(%1), %%rdx\n\tjne 2f\n\t"               \
	"movhlps %%xmm" #n ", %%xmm" #n "\n\tmovq %%xmm" #n ", %%rdx\n\tmovlhps %%xmm" #n \
	", %%xmm" #n "\n\t"                                                               \
	"cmpq " #n "*8(%1), %%rdx\n\tjne 2f\n\t"
				 CHECK(0) CHECK(1) CHECK(2) CHECK(3) CHECK(4) CHECK(5) CHECK(6)
					 CHECK(7) CHECK(8) CHECK(9) CHECK(10) CHECK(11) CHECK(12)
						 CHECK(13) CHECK(14)
							 CHECK(15) "stmxcsr -8(%%rsp)\n\t"
								   "testl $0x8000, -8(%%rsp)\n\t"
								   "jz 2f\n\t"
								   "dec %%ecx\n\t"
								   "jnz 1b\n\t"
								   "xor %0, %0\n\t"
								   "jmp 3f\n\t"
								   "2: mov $1, %0\n\t"
								   "3: ldmxcsr -4(%%rsp)\n\t"
				 : "=&r"(bad)
				 : "r"(vals)
				 : "rax", "rcx", "rdx", "memory", "cc", "xmm0", "xmm1", "xmm2",
				   "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
				   "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
		if (bad)
			atomic_fetch_add(&changed, 1);
		atomic_fetch_add(&rounds, 1);
	}
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_t t;
	pthread_create(&t, NULL, spin, NULL);
	while (!atomic_load(&rounds))
		sched_yield();
	printf("spinner %d\n", atomic_load(&spinner_tid));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	char line[128];
	for (;;) {
		int n = epoll_wait(ep, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		ssize_t len = read(0, line, sizeof(line) - 1);
		if (len <= 0)
			return 0;
		int r0 = atomic_load(&rounds);
		while (atomic_load(&rounds) < r0 + 2) // two full rounds after the question
			sched_yield();
		printf("changed %d\n", atomic_load(&changed));
	}
}
