/* SPDX-License-Identifier: MIT */
/* sample_attrs.h - keep the sample targets' patchable functions real, separate functions. */
#ifndef SAMPLE_ATTRS_H
#define SAMPLE_ATTRS_H

/*
 * A live patch replaces a function's entry, so every caller must really call it and use
 * only what its ABI promises. GCC's noipa forbids inlining, cloning (foo.constprop.0
 * would be a different symbol) and interprocedural register allocation (-fipa-ra: a
 * caller that assumes the callee clobbers only rax breaks when the replacement clobbers
 * more). Clang does neither IPA-RA nor cloning by default; noinline is enough there.
 * used keeps a static function that the optimiser could otherwise drop.
 */
#if defined(__clang__)
#define SAMPLE_PATCHABLE __attribute__((noinline, used))
#else
#define SAMPLE_PATCHABLE __attribute__((noipa, used))
#endif

/* The constant answer, hidden from the optimiser, so that no caller can fold the
 * callee's return value into itself (Clang's interprocedural constant propagation
 * does that for static functions even when it does not inline them). */
#define SAMPLE_OPAQUE(str)                            \
	__extension__({                               \
		const char *opaque_ = (str);          \
		__asm__ volatile("" : "+r"(opaque_)); \
		opaque_;                              \
	})

#endif /* SAMPLE_ATTRS_H */
