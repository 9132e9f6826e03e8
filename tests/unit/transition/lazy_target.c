// SPDX-License-Identifier: MIT
// lazy_target.c - liblazy_target.so: the function lazy_jump.S reaches through a PLT
// bound lazily. Exported: the build hides symbols by default.
__attribute__((visibility("default"))) long lazy_target(long x)
{
	return x * 3;
}
