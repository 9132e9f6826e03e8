// SPDX-License-Identifier: MIT
// risky.cpp - throws BadInput for odd numbers; never changed by the fixes.
#include "shapes.hpp"

__attribute__((noinline)) int risky(int x)
{
	if (x % 2)
		throw BadInput{x};
	return x / 2;
}
